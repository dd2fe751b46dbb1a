import { type Kysely, sql } from 'kysely';

/**
 * Each chunk carries its article's visibility and tags, so a full-text or vector search filters
 * chunks without joining every article first (at 4,000 articles that join was a sequential scan of
 * the articles' bodies on every query), and customers' vector searches use a partial HNSW index
 * over public chunks. Triggers keep the copies equal to the article's values
 * whoever writes: a chunk takes them when it is inserted, and an article's change reaches its chunks.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE kb_chunks ADD COLUMN visibility text;
    ALTER TABLE kb_chunks ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
    UPDATE kb_chunks c SET visibility = a.visibility, tags = a.tags FROM kb_articles a WHERE a.slug = c.article_slug;
    ALTER TABLE kb_chunks ALTER COLUMN visibility SET NOT NULL;

    CREATE FUNCTION kb_chunks_take_article_filters() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      SELECT a.visibility, a.tags INTO NEW.visibility, NEW.tags FROM kb_articles a WHERE a.slug = NEW.article_slug;
      RETURN NEW;
    END $$;
    CREATE TRIGGER kb_chunks_take_article_filters BEFORE INSERT OR UPDATE OF article_slug, visibility, tags ON kb_chunks
      FOR EACH ROW EXECUTE FUNCTION kb_chunks_take_article_filters();

    CREATE FUNCTION kb_articles_pass_filters_to_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE kb_chunks SET visibility = NEW.visibility, tags = NEW.tags WHERE article_slug = NEW.slug;
      RETURN NULL;
    END $$;
    CREATE TRIGGER kb_articles_pass_filters_to_chunks AFTER UPDATE OF visibility, tags ON kb_articles
      FOR EACH ROW WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.tags IS DISTINCT FROM NEW.tags)
      EXECUTE FUNCTION kb_articles_pass_filters_to_chunks();

    -- The partial HNSW index over public chunks (knowledge/index-state.ts builds it on later
    -- ingests and reindexes); an index that already holds vectors gets it now.
    DO $$
    DECLARE dims integer;
    BEGIN
      SELECT dimensions INTO dims FROM kb_index WHERE id;
      IF dims IS NOT NULL THEN
        EXECUTE format('CREATE INDEX IF NOT EXISTS kb_chunks_embedding_public_hnsw ON kb_chunks USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE visibility = %L', dims, 'public');
      END IF;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS kb_chunks_embedding_public_hnsw;
    DROP TRIGGER kb_articles_pass_filters_to_chunks ON kb_articles;
    DROP FUNCTION kb_articles_pass_filters_to_chunks();
    DROP TRIGGER kb_chunks_take_article_filters ON kb_chunks;
    DROP FUNCTION kb_chunks_take_article_filters();
    ALTER TABLE kb_chunks DROP COLUMN tags;
    ALTER TABLE kb_chunks DROP COLUMN visibility;
  `.execute(db);
}
