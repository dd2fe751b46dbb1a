import { type Kysely, sql } from 'kysely';

/**
 * Captured scenarios (docs/evals.md, "Captured scenarios"): an escalated conversation saved from the
 * console as a regression test. `scenario` is the scenario in the eval format, already minimised and
 * pseudonymised (evals/capture/), validated before it is stored and again when a run loads it; the
 * row keeps no copy of the original conversation's personal data. `conversation_id` is not a foreign
 * key: the scenario outlives the conversation (retention and erasure delete conversations, and the
 * scenario holds nothing of the customer's to erase). Saving the same conversation twice is refused
 * by the unique index, so the suite never holds two copies of one case.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE captured_scenarios (
      id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      conversation_id text NOT NULL,
      scenario jsonb NOT NULL,
      expected_outcome text NOT NULL CHECK (expected_outcome IN ('resolved','answered','escalated')),
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX captured_scenarios_conversation_key ON captured_scenarios (conversation_id);
    CREATE INDEX captured_scenarios_created_idx ON captured_scenarios (created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS captured_scenarios;`.execute(db);
}
