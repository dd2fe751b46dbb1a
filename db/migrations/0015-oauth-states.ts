import { type Kysely, sql } from 'kysely';

/**
 * One-time `state` values of the OAuth authorization-code flows an admin starts from /admin
 * (Connectors → Settings → "Connect HubSpot"): only the state's SHA-256 is stored, with the vendor,
 * the console session that started the flow (the callback must come from the same session; ending
 * the session deletes its states) and an expiry. The callback deletes the row it uses, so a state
 * is good once; expired rows are swept when a new flow starts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE oauth_states (
      state_hash text PRIMARY KEY,
      provider text NOT NULL CHECK (provider ~ '^[a-z0-9-]+$'),
      session_id text NOT NULL REFERENCES human_sessions(id) ON DELETE CASCADE,
      human_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX oauth_states_expires_idx ON oauth_states (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS oauth_states`.execute(db);
}
