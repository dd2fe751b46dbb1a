import type { Queryable } from '../connectors/core/queryable.ts';
import type { Embedder } from './embedder.ts';
import { IndexMismatchError } from './errors.ts';

/** What the vector index holds: the single `kb_index` row. */
export interface IndexInfo {
  model: string;
  dimensions: number;
}

/** Name of the HNSW expression index on `embedding::vector(<dimensions>)` (every chunk). */
export const hnswIndexName = 'kb_chunks_embedding_hnsw';

/**
 * Name of the partial HNSW index over public chunks only. Customers' searches (the hot path) use
 * it: an index scan returns at most `hnsw.ef_search` rows, so filtering the whole index's nearest
 * chunks afterwards could leave too few when internal passages crowd a topic.
 */
export const publicHnswIndexName = 'kb_chunks_embedding_public_hnsw';

/**
 * SQL that creates both HNSW indexes for `dimensions` if they are missing. Migration 0007 adds the
 * partial one to an index built before it with the same definition, written out there.
 */
function vectorIndexesSql(dimensions: number): string[] {
  const expression = `(embedding::${vectorType(dimensions)}) vector_cosine_ops`;
  return [
    `CREATE INDEX IF NOT EXISTS ${hnswIndexName} ON kb_chunks USING hnsw (${expression})`,
    `CREATE INDEX IF NOT EXISTS ${publicHnswIndexName} ON kb_chunks USING hnsw (${expression}) WHERE visibility = 'public'`,
  ];
}

/** `vector(<n>)` for SQL text; refuses anything but a sane positive integer (it is interpolated). */
export function vectorType(dimensions: number): string {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 16000) {
    throw new Error(`Invalid embedding dimension ${dimensions}`);
  }
  return `vector(${dimensions})`;
}

/** The model and dimension the index was built with, or null while the knowledge base is empty. */
export async function readIndexInfo(db: Queryable): Promise<IndexInfo | null> {
  const { rows } = await db.query<IndexInfo>('SELECT model, dimensions FROM kb_index WHERE id');
  return rows[0] ?? null;
}

/**
 * Throws `IndexMismatchError` when the index was built with another model or dimension than
 * `embedder`; returns the index info (null when nothing is indexed yet).
 */
export async function assertIndexMatches(
  db: Queryable,
  embedder: Pick<Embedder, 'model' | 'dimensions'>,
): Promise<IndexInfo | null> {
  const info = await readIndexInfo(db);
  if (info && (info.model !== embedder.model || info.dimensions !== embedder.dimensions)) {
    throw new IndexMismatchError(info, { model: embedder.model, dimensions: embedder.dimensions });
  }
  if (!info) {
    // No index row but vectors present (the row was deleted by hand): never mix models silently.
    const { rows } = await db.query<{ model: string | null; dimensions: number }>(
      'SELECT embedding_model AS model, vector_dims(embedding) AS dimensions FROM kb_chunks WHERE embedding IS NOT NULL LIMIT 1',
    );
    const stored = rows[0];
    if (stored && (stored.model !== embedder.model || stored.dimensions !== embedder.dimensions)) {
      throw new IndexMismatchError(
        { model: stored.model ?? 'unknown', dimensions: stored.dimensions },
        embedder,
      );
    }
  }
  return info;
}

/**
 * Records `embedder` as the index's model (first ingest) and makes sure the HNSW index exists.
 * Runs on the caller's client, inside its transaction.
 */
export async function ensureIndex(
  client: Queryable,
  embedder: Pick<Embedder, 'model' | 'dimensions'>,
): Promise<void> {
  await client.query(
    'INSERT INTO kb_index (id, model, dimensions) VALUES (true, $1, $2) ON CONFLICT (id) DO NOTHING',
    [embedder.model, embedder.dimensions],
  );
  await assertIndexMatches(client, embedder);
  await createVectorIndex(client, embedder.dimensions);
}

/** Replaces the index row and rebuilds the HNSW index for a new model/dimension (reindex). */
export async function resetIndex(
  client: Queryable,
  embedder: Pick<Embedder, 'model' | 'dimensions'>,
): Promise<void> {
  await dropVectorIndexes(client);
  await client.query(
    `INSERT INTO kb_index (id, model, dimensions, updated_at) VALUES (true, $1, $2, now())
     ON CONFLICT (id) DO UPDATE SET model = EXCLUDED.model, dimensions = EXCLUDED.dimensions, updated_at = now()`,
    [embedder.model, embedder.dimensions],
  );
}

/** Creates the HNSW indexes (after bulk writes, which is faster than maintaining them row by row). */
export async function createVectorIndex(client: Queryable, dimensions: number): Promise<void> {
  for (const statement of vectorIndexesSql(dimensions)) await client.query(statement);
}

/** Drops both HNSW indexes (before a rebuild or a bulk load). */
export async function dropVectorIndexes(client: Queryable): Promise<void> {
  await client.query(`DROP INDEX IF EXISTS ${hnswIndexName}, ${publicHnswIndexName}`);
}
