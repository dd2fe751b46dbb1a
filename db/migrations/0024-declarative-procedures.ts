import { type Kysely, sql } from 'kysely';

/**
 * Procedures an admin declares in YAML instead of writing TypeScript (docs/procedures.md):
 * - `declarative_procedures`: the current version of each, `enabled` or not. `source` is the YAML as
 *   the admin wrote it (comments kept), validated before it is stored.
 * - `declarative_procedure_versions`: every version ever saved, so a change can be seen and undone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE declarative_procedures (
      id text PRIMARY KEY,
      title text NOT NULL,
      version integer NOT NULL,
      source text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text
    );
    CREATE TABLE declarative_procedure_versions (
      procedure_id text NOT NULL,
      version integer NOT NULL,
      title text NOT NULL,
      source text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text,
      PRIMARY KEY (procedure_id, version)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS declarative_procedure_versions;
    DROP TABLE IF EXISTS declarative_procedures;
  `.execute(db);
}
