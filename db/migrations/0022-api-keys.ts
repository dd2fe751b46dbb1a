import { type Kysely, sql } from 'kysely';

/**
 * API keys for the MCP server (`npm run mcp`, `POST /mcp`; docs/mcp.md). A key acts either for one
 * verified customer of our directory (contact + account) or for one staff member (a human agent).
 * Only the SHA-256 of the key is stored: the key itself is shown once, when an admin creates it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE api_keys (
      id text PRIMARY KEY,
      name text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      -- The first characters of the key (e.g. 'sbk_Xy3f'), so an admin can tell keys apart.
      key_prefix text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('customer','staff')),
      contact_id text REFERENCES contacts(id) ON DELETE CASCADE,
      human_id text REFERENCES human_agents(id) ON DELETE CASCADE,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      CHECK ((kind = 'customer' AND contact_id IS NOT NULL AND human_id IS NULL)
          OR (kind = 'staff' AND human_id IS NOT NULL AND contact_id IS NULL))
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS api_keys`.execute(db);
}
