import { type Kysely, sql } from 'kysely';

/**
 * Connectors an admin defines at run time instead of writing TypeScript (docs/custom-connectors.md):
 * a declarative HTTP connector imported from an OpenAPI document, or an external MCP server.
 * - `custom_connectors`: the current version of each, `enabled` or not. `spec` is the kind's own
 *   declaration, validated by that kind's builder before it is stored. Its credentials live in the
 *   vault (`connector_credentials`) under the connector's id, never here.
 * - `custom_connector_versions`: every version ever saved, so a change can be seen and undone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE custom_connectors (
      id text PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('http', 'mcp')),
      title text NOT NULL,
      version integer NOT NULL,
      spec jsonb NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text
    );
    CREATE TABLE custom_connector_versions (
      connector_id text NOT NULL,
      version integer NOT NULL,
      kind text NOT NULL,
      title text NOT NULL,
      spec jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text,
      PRIMARY KEY (connector_id, version)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS custom_connector_versions;
    DROP TABLE IF EXISTS custom_connectors;
  `.execute(db);
}
