import { type Kysely, sql } from 'kysely';

/**
 * Knowledge base: articles and their chunks. `embedding` has no fixed dimension in the column
 * type; the knowledge module records the model and dimension in `kb_index` and builds the HNSW
 * index on `embedding::vector(n)` for that dimension, so a model change is a reindex, not a migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE kb_articles (
      slug text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
      title text NOT NULL,
      url text,
      category text,
      tags text[] NOT NULL DEFAULT '{}',
      visibility text NOT NULL CHECK (visibility IN ('public','internal')),
      format text NOT NULL DEFAULT 'markdown' CHECK (format IN ('markdown','html','text')),
      body text NOT NULL,
      content_hash text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      ingested_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE kb_chunks (
      id bigserial PRIMARY KEY,
      article_slug text NOT NULL REFERENCES kb_articles(slug) ON DELETE CASCADE,
      ordinal integer NOT NULL,
      heading_path text[] NOT NULL DEFAULT '{}',
      -- heading_path joined with ' > ' (array_to_string is not immutable, so it cannot feed tsv).
      heading text NOT NULL DEFAULT '',
      content text NOT NULL,
      content_hash text NOT NULL,
      embedding vector,
      embedding_model text,
      tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', heading), 'A') ||
        setweight(to_tsvector('english', content), 'B')
      ) STORED,
      UNIQUE (article_slug, ordinal)
    );
    CREATE INDEX kb_chunks_tsv_idx ON kb_chunks USING gin (tsv);
    CREATE INDEX kb_chunks_hash_idx ON kb_chunks (content_hash);

    -- One row: which embedding model and dimension the index holds.
    CREATE TABLE kb_index (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      model text NOT NULL,
      dimensions integer NOT NULL CHECK (dimensions > 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS kb_index, kb_chunks, kb_articles CASCADE;`.execute(db);
}
