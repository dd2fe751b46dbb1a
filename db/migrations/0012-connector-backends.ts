import { type Kysely, sql } from 'kysely';

/**
 * Which backend each selectable connector kind runs on (billing on Stripe, crm on HubSpot, …), as an
 * admin chose it on /admin; a kind without a row runs on its built-in backend. Secrets are not here:
 * they live encrypted in `connector_credentials` (the vault), under the kind's connector id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE connector_backends (
      kind text PRIMARY KEY CHECK (kind IN ('billing', 'crm', 'ticketing', 'calendar')),
      backend text NOT NULL,
      settings jsonb NOT NULL DEFAULT '{}'::jsonb,
      updated_by text,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS connector_backends`.execute(db);
}
