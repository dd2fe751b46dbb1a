import { type Kysely, sql } from 'kysely';

/**
 * The Google Drive knowledge source (knowledge/sources/google-drive):
 * - `knowledge_sources.cursor_token`: an opaque vendor cursor (Drive's changes page token) for
 *   sources whose feed is not positioned by a time (Zendesk Guide keeps `cursor_start_time`).
 * - `knowledge_sources.sync_state`: what a source must remember between runs beyond the cursor
 *   (Drive: the folder it synced and the ids of that folder's subfolders).
 * - `knowledge_source_articles.external_version`: the vendor's version of what was indexed (Drive:
 *   version, md5Checksum, modifiedTime, name and the visibility it mapped to), so an unchanged file is
 *   neither downloaded nor embedded again.
 * Settings an admin edits (the Drive folder, the visibility of domain-shared files) stay in
 * `knowledge_sources.settings`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE knowledge_sources ADD COLUMN cursor_token text, ADD COLUMN sync_state jsonb;
    ALTER TABLE knowledge_source_articles ADD COLUMN external_version text;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE knowledge_source_articles DROP COLUMN IF EXISTS external_version;
    ALTER TABLE knowledge_sources DROP COLUMN IF EXISTS sync_state, DROP COLUMN IF EXISTS cursor_token;
  `.execute(db);
}
