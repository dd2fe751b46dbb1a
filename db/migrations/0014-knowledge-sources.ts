import { type Kysely, sql } from 'kysely';

/**
 * External knowledge sources (the Zendesk Guide help center) and what a sync of each one holds:
 * - `knowledge_sources`: one row per source: its non-secret settings as the running processes were
 *   configured (NULL: not configured), the incremental cursor (`cursor_start_time`, the epoch second
 *   the next incremental export starts at; NULL before the first sync), a run lease (`running_since`,
 *   so two syncs of one source never overlap) and the last run's outcome.
 * - `knowledge_source_articles`: which index article (`kb_articles.slug`) each vendor article became.
 *   Deleting the article (a prune, a sync that saw it go) deletes the row with it.
 * Secrets are not here: they live encrypted in `connector_credentials` under the connector `knowledge`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE knowledge_sources (
      id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
      settings jsonb,
      cursor_start_time bigint CHECK (cursor_start_time >= 0),
      running_since timestamptz,
      last_started_at timestamptz,
      last_finished_at timestamptz,
      last_status text CHECK (last_status IN ('ok', 'failed')),
      last_report jsonb,
      last_error text,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE knowledge_source_articles (
      source_id text NOT NULL REFERENCES knowledge_sources(id) ON DELETE CASCADE,
      external_id text NOT NULL,
      article_slug text NOT NULL UNIQUE REFERENCES kb_articles(slug) ON DELETE CASCADE,
      external_updated_at timestamptz,
      synced_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source_id, external_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS knowledge_source_articles`.execute(db);
  await sql`DROP TABLE IF EXISTS knowledge_sources`.execute(db);
}
