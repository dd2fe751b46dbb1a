import { type Kysely, sql } from 'kysely';

/**
 * Accounts and contacts our directory took from a vendor CRM (connectors/backends/directory.ts,
 * "identity provisioning") keep the CRM's reference of the record they came from (HubSpot:
 * `companies/<id>`, `contacts/<id>`), beside our own ids. Null for our own rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE accounts ADD COLUMN external_ref text;
    ALTER TABLE contacts ADD COLUMN external_ref text;
    CREATE UNIQUE INDEX accounts_external_ref_key ON accounts (external_ref) WHERE external_ref IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS accounts_external_ref_key;
    ALTER TABLE contacts DROP COLUMN IF EXISTS external_ref;
    ALTER TABLE accounts DROP COLUMN IF EXISTS external_ref;
  `.execute(db);
}
