import { type Kysely, sql } from 'kysely';

/**
 * Where and when a conversation was verified, and what a one-time code proves. An email message
 * inherits only a verification earned by a code in the email channel, and only for a while
 * (agent/nodes/identify.ts); a code can prove the account holder (`identity`) or that a customer
 * controls a new address they want on file (`new_address`, with the address it was sent to).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE conversations ADD COLUMN verified_channel text CHECK (verified_channel IN ('chat', 'email'));
    ALTER TABLE conversations ADD COLUMN verified_at timestamptz;
    UPDATE conversations SET verified_channel = channel, verified_at = updated_at WHERE verified;
    ALTER TABLE verification_codes ADD COLUMN purpose text NOT NULL DEFAULT 'identity'
      CHECK (purpose IN ('identity', 'new_address'));
    ALTER TABLE verification_codes ADD COLUMN target_email text;
    CREATE INDEX verification_codes_open_idx ON verification_codes (conversation_id) WHERE consumed_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS verification_codes_open_idx;
    ALTER TABLE verification_codes DROP COLUMN IF EXISTS target_email;
    ALTER TABLE verification_codes DROP COLUMN IF EXISTS purpose;
    ALTER TABLE conversations DROP COLUMN IF EXISTS verified_at;
    ALTER TABLE conversations DROP COLUMN IF EXISTS verified_channel;
  `.execute(db);
}
