import { type Kysely, sql } from 'kysely';

/**
 * Privacy operations (conversations/privacy.ts, conversations/retention.ts; docs/privacy.md):
 * - `privacy_erasures`: one row per erased contact: who erased it, when, and what was removed
 *   (counts only). The contact's address is kept only as the SHA-256 of its lower-cased form, so a
 *   second erasure confirmed with the same address is recognised (erasing twice is fine) while the
 *   address itself is gone.
 * - Indexes for what erasure and retention look up: finished conversations by last activity (the
 *   retention sweep), customer mail by sender (conversations without a contact that came from the
 *   address), and outbox mail by recipient.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE privacy_erasures (
      contact_id text PRIMARY KEY,
      email_sha256 text NOT NULL,
      erased_by text NOT NULL,
      erased_at timestamptz NOT NULL DEFAULT now(),
      last_erased_at timestamptz NOT NULL DEFAULT now(),
      counts jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX privacy_erasures_email_idx ON privacy_erasures (email_sha256);
    CREATE INDEX conversations_finished_idx ON conversations (updated_at) WHERE status IN ('resolved', 'closed');
    CREATE INDEX messages_sender_idx ON messages (lower(metadata->>'from')) WHERE role = 'customer';
    CREATE INDEX email_outbox_recipient_idx ON email_outbox (lower(to_address));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS email_outbox_recipient_idx;
    DROP INDEX IF EXISTS messages_sender_idx;
    DROP INDEX IF EXISTS conversations_finished_idx;
    DROP TABLE IF EXISTS privacy_erasures;
  `.execute(db);
}
