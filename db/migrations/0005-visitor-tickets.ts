import { type Kysely, sql } from 'kysely';

/** Anonymous visitors may file a ticket: it then has a requester email instead of an account. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE tickets ALTER COLUMN account_id DROP NOT NULL;
    ALTER TABLE tickets ADD COLUMN requester_email text;
    ALTER TABLE tickets ADD CONSTRAINT tickets_requester_check CHECK (account_id IS NOT NULL OR requester_email IS NOT NULL);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DELETE FROM tickets WHERE account_id IS NULL;
    ALTER TABLE tickets DROP CONSTRAINT tickets_requester_check;
    ALTER TABLE tickets DROP COLUMN requester_email;
    ALTER TABLE tickets ALTER COLUMN account_id SET NOT NULL;
  `.execute(db);
}
