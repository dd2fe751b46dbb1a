import type pg from 'pg';
import { type ChunkVectorStrategy, chunkKey, defaultStrategyFor, embedChunks } from './chunk-vectors.ts';
import { type ChunkOptions, chunkArticle } from './chunking.ts';
import type { Embedder } from './embedder.ts';
import { createVectorIndex, resetIndex } from './index-state.ts';
import { insertChunks, type KeyedChunk } from './ingest.ts';

/** Options of a reindex. */
export interface ReindexOptions {
  pool: pg.Pool;
  embedder: Embedder;
  chunking?: ChunkOptions;
  chunkVectors?: ChunkVectorStrategy;
  embedBatchSize?: number;
}

/** What a reindex did. */
export interface ReindexReport {
  model: string;
  dimensions: number;
  articles: number;
  chunks: number;
  milliseconds: number;
}

/**
 * Rebuilds the whole index with `embedder`: re-chunks every stored article, embeds every chunk,
 * then in one transaction replaces all chunks, records the model in `kb_index` and rebuilds the
 * HNSW index for the new dimension. Searches see the old index until the commit.
 */
export async function reindexKnowledge(options: ReindexOptions): Promise<ReindexReport> {
  const started = performance.now();
  const { pool, embedder } = options;
  const strategy = options.chunkVectors ?? defaultStrategyFor(embedder);
  const chunked = (rows: Array<{ slug: string; title: string; body: string }>) =>
    rows.map((row) => ({
      slug: row.slug,
      chunks: chunkArticle(row.title, row.body, options.chunking).map(
        (chunk): KeyedChunk => ({ ...chunk, key: chunkKey(chunk, strategy) }),
      ),
    }));
  const read = (db: pg.Pool | pg.PoolClient) =>
    db.query<{ slug: string; title: string; body: string; content_hash: string }>(
      'SELECT slug, title, body, content_hash FROM kb_articles ORDER BY slug',
    );
  // Embedding takes long: do it before the transaction, so readers are not blocked meanwhile.
  const before = (await read(pool)).rows;
  const articles = chunked(before);
  const vectors = await embedChunks(
    embedder,
    articles.flatMap((article) => article.chunks),
    strategy,
    options.embedBatchSize ?? 32,
  );
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Articles changed while embedding are re-chunked and embedded here (rare, and small).
    const now = (await read(client)).rows;
    const seen = new Map(before.map((row) => [row.slug, row.content_hash]));
    const changed = now.filter((row) => seen.get(row.slug) !== row.content_hash);
    const current = new Map(chunked(now).map((article) => [article.slug, article.chunks]));
    if (changed.length > 0) {
      const missing = changed
        .flatMap((row) => current.get(row.slug)!)
        .filter((chunk) => !vectors.has(chunk.key));
      for (const [key, vector] of await embedChunks(embedder, missing, strategy)) vectors.set(key, vector);
    }
    await resetIndex(client, embedder);
    // TRUNCATE, not DELETE: building the index evaluates the cast on rows deleted in this
    // transaction too, and the old vectors have the old dimension.
    await client.query('TRUNCATE kb_chunks');
    let chunks = 0;
    for (const [slug, articleChunks] of current) {
      await insertChunks(client, slug, articleChunks, vectors, embedder.model);
      chunks += articleChunks.length;
    }
    await createVectorIndex(client, embedder.dimensions);
    await client.query('UPDATE kb_index SET updated_at = clock_timestamp() WHERE id');
    await client.query('COMMIT');
    return {
      model: embedder.model,
      dimensions: embedder.dimensions,
      articles: now.length,
      chunks,
      milliseconds: performance.now() - started,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
