import { type Kysely, sql } from 'kysely';

/**
 * Knowledge and eval administration (docs/knowledge.md "Administration", docs/evals.md):
 * - `kb_articles.published`: an unpublished article keeps its row (title, body, metadata) for editing
 *   but has no chunks, so neither search nor the chat finds it; the ingester writes no chunks for it
 *   whoever re-ingests it (a folder ingest, a source sync), until an admin publishes it again.
 * - `eval_runs.progress`: scenarios done / total and the pass / fail counts so far, written by the
 *   `eval.run` job after each scenario, so the admin page shows a running suite's progress.
 * - an index on escalations by reason and time, for the per-article count of low-confidence hand-offs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE kb_articles ADD COLUMN published boolean NOT NULL DEFAULT true;
    ALTER TABLE eval_runs ADD COLUMN progress jsonb;
    CREATE INDEX escalations_reason_created_idx ON escalations (reason, created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS escalations_reason_created_idx;
    ALTER TABLE eval_runs DROP COLUMN IF EXISTS progress;
    ALTER TABLE kb_articles DROP COLUMN IF EXISTS published;
  `.execute(db);
}
