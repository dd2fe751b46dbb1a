import type pg from 'pg';
import pgvector from 'pgvector/pg';
import type { Queryable } from '../connectors/core/queryable.ts';
import { type ChunkVectorStrategy, chunkKey, defaultStrategyFor, embedChunks } from './chunk-vectors.ts';
import { type Chunk, type ChunkOptions, chunkArticle, sha256 } from './chunking.ts';
import { type ArticleDocument, type ParseOptions, parseDocument, type RawDocument } from './documents.ts';
import type { Embedder } from './embedder.ts';
import { DocumentBatchError, DocumentError } from './errors.ts';
import { assertIndexMatches, ensureIndex } from './index-state.ts';

/** Bumped when chunking changes, so the next ingest re-chunks articles whose text did not change. */
export const chunkerVersion = 2;

/** How an ingester parses, chunks and embeds. */
export interface IngesterOptions extends ParseOptions {
  embedder: Embedder;
  chunking?: ChunkOptions;
  /** How a chunk becomes a vector (default: `defaultStrategyFor(embedder)`). */
  chunkVectors?: ChunkVectorStrategy;
  /** Texts per embedder call (default 32). */
  embedBatchSize?: number;
  /**
   * Vectors kept in memory by content hash (default 0: off). The eval runner reloads the same
   * articles into emptied worlds; the cache spares re-embedding them each time.
   */
  cacheSize?: number;
}

/** What an ingest did, by article slug. */
export interface IngestReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
  chunksWritten: number;
  /** Chunks sent to the embedder (0 when everything was already indexed). */
  chunksEmbedded: number;
  /** Chunks whose vector was reused from the index or the cache. */
  chunksReused: number;
}

/** A parsed article with its chunks, ready to write. */
export interface PlannedArticle {
  document: ArticleDocument;
  hash: string;
  chunks: KeyedChunk[];
  exists: boolean;
}

/** A batch parsed, compared with the index and embedded: what `writePrepared` writes. */
export interface PreparedIngest {
  documents: ArticleDocument[];
  planned: PlannedArticle[];
  unchanged: string[];
  vectors: Map<string, number[]>;
  embeddedCount: number;
  reusedCount: number;
}

/** A chunk with the key its vector is stored and reused under (`kb_chunks.content_hash`). */
export interface KeyedChunk extends Chunk {
  key: string;
}

/** Parses and validates a batch: every error (bad document, duplicate slug) is collected, none thrown half-way. */
export function parseBatch(raws: RawDocument[], options: ParseOptions = {}): ArticleDocument[] {
  const errors: DocumentError[] = [];
  const documents: ArticleDocument[] = [];
  const seen = new Map<string, string>();
  for (const raw of raws) {
    try {
      const document = parseDocument(raw, options);
      const previous = seen.get(document.slug);
      if (previous !== undefined) {
        errors.push(
          new DocumentError(
            'duplicate_slug',
            raw.source,
            `slug "${document.slug}" is also used by ${previous}`,
          ),
        );
        continue;
      }
      seen.set(document.slug, raw.source);
      documents.push(document);
    } catch (error) {
      if (error instanceof DocumentError) errors.push(error);
      else throw error;
    }
  }
  if (errors.length > 0) throw new DocumentBatchError(errors);
  return documents;
}

const articleHash = (document: ArticleDocument, strategy: ChunkVectorStrategy): string =>
  sha256(
    JSON.stringify([
      chunkerVersion,
      strategy,
      document.title,
      document.url,
      document.visibility,
      document.tags,
      document.category,
      document.updatedAt?.toISOString() ?? null,
      document.format,
      document.body,
    ]),
  );

/** Ingests documents into the knowledge base: parse → skip unchanged → embed new chunks → write. */
export interface KnowledgeIngester {
  /** Validates, embeds and writes a batch in one transaction of its own (all or nothing). */
  ingest(pool: pg.Pool, documents: RawDocument[], options?: { prune?: boolean }): Promise<IngestReport>;
  /** Same on a client whose transaction the caller holds (the world loader); opens none itself. */
  ingestOn(
    client: pg.PoolClient,
    documents: RawDocument[],
    options?: { prune?: boolean },
  ): Promise<IngestReport>;
  /**
   * The slow half of `ingest`, outside any transaction: parse, compare with the index, embed. A caller
   * that writes more than articles in one transaction (a knowledge source: its cursor) then calls
   * `writePrepared` inside it, so no transaction is held while embedding (PGlite has one connection).
   */
  prepare(db: Queryable, documents: RawDocument[], options?: { embed?: boolean }): Promise<PreparedIngest>;
  /** Writes a prepared batch on a client whose transaction the caller holds. */
  writePrepared(
    client: pg.PoolClient,
    prepared: PreparedIngest,
    options?: { prune?: boolean },
  ): Promise<IngestReport>;
}

/** Creates an ingester around one embedder. */
export function createIngester(options: IngesterOptions): KnowledgeIngester {
  const { embedder } = options;
  const strategy = options.chunkVectors ?? defaultStrategyFor(embedder);
  const cache = new Map<string, number[]>();
  const cacheSize = options.cacheSize ?? 0;

  async function plan(db: Queryable, raws: RawDocument[], embed = true): Promise<PreparedIngest> {
    const documents = parseBatch(raws, options);
    await assertIndexMatches(db, embedder);
    const { rows } = await db.query<{ slug: string; content_hash: string }>(
      'SELECT slug, content_hash FROM kb_articles WHERE slug = ANY($1)',
      [documents.map((document) => document.slug)],
    );
    const stored = new Map(rows.map((row) => [row.slug, row.content_hash]));
    const unchanged: string[] = [];
    const planned: PlannedArticle[] = [];
    for (const document of documents) {
      const hash = articleHash(document, strategy);
      if (stored.get(document.slug) === hash) unchanged.push(document.slug);
      else {
        const chunks = chunkArticle(document.title, document.body, options.chunking).map((chunk) => ({
          ...chunk,
          key: chunkKey(chunk, strategy),
        }));
        planned.push({ document, hash, chunks, exists: stored.has(document.slug) });
      }
    }
    const vectors = await vectorsFor(
      db,
      planned.flatMap((article) => article.chunks),
      embed,
    );
    return { documents, planned, unchanged, ...vectors };
  }

  async function vectorsFor(db: Queryable, chunks: KeyedChunk[], embed: boolean) {
    const keys = [...new Set(chunks.map((chunk) => chunk.key))];
    const vectors = new Map<string, number[]>();
    for (const key of keys) {
      const cached = cache.get(key);
      if (cached) vectors.set(key, cached);
    }
    const { rows } = await db.query<{ content_hash: string; embedding: number[] }>(
      `SELECT DISTINCT ON (content_hash) content_hash, embedding FROM kb_chunks
       WHERE content_hash = ANY($1) AND embedding_model = $2 AND embedding IS NOT NULL`,
      [keys.filter((key) => !vectors.has(key)), embedder.model],
    );
    for (const row of rows) {
      if (row.embedding.length === embedder.dimensions) vectors.set(row.content_hash, row.embedding);
    }
    const missing = chunks.filter((chunk) => !vectors.has(chunk.key));
    const embedded = embed
      ? await embedChunks(embedder, missing, strategy, options.embedBatchSize ?? 32)
      : new Map<string, number[]>();
    for (const [key, vector] of embedded) {
      vectors.set(key, vector);
      remember(key, vector);
    }
    return { vectors, embeddedCount: embedded.size, reusedCount: chunks.length - missing.length };
  }

  function remember(hash: string, vector: number[]) {
    if (cacheSize <= 0) return;
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(hash, vector);
  }

  async function write(client: Queryable, work: PreparedIngest, prune: boolean): Promise<IngestReport> {
    const report: IngestReport = {
      created: [],
      updated: [],
      unchanged: [...work.unchanged],
      deleted: [],
      chunksWritten: 0,
      chunksEmbedded: work.embeddedCount,
      chunksReused: work.reusedCount,
    };
    if (work.planned.length > 0) await ensureIndex(client, embedder);
    for (const article of work.planned) {
      const complete = article.chunks.every((chunk) => work.vectors.has(chunk.key));
      // Prepared without embedding (`embed: false`): a stored article keeps its vectors until the
      // embedded write; a new one is written now, searchable by full text, under a hash that marks it
      // for the next ingest to embed.
      if (!complete && article.exists) {
        report.unchanged.push(article.document.slug);
        continue;
      }
      await writeArticle(
        client,
        complete ? article : { ...article, hash: `pending:${article.hash}` },
        work.vectors,
        embedder.model,
      );
      (article.exists ? report.updated : report.created).push(article.document.slug);
      report.chunksWritten += article.chunks.length;
    }
    if (prune) {
      const { rows } = await client.query<{ slug: string }>(
        'DELETE FROM kb_articles WHERE NOT (slug = ANY($1)) RETURNING slug',
        [work.documents.map((document) => document.slug)],
      );
      report.deleted = rows.map((row) => row.slug);
    }
    // Searches compare this version to know their vocabulary cache is stale.
    if (work.planned.length > 0 || report.deleted.length > 0) {
      await client.query('UPDATE kb_index SET updated_at = clock_timestamp() WHERE id');
    }
    return report;
  }

  return {
    async ingest(pool, documents, ingestOptions = {}) {
      const work = await plan(pool, documents);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const report = await write(client, work, ingestOptions.prune ?? false);
        await client.query('COMMIT');
        return report;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async ingestOn(client, documents, ingestOptions = {}) {
      const work = await plan(client, documents);
      return write(client, work, ingestOptions.prune ?? false);
    },
    prepare: (db, documents, prepareOptions = {}) => plan(db, documents, prepareOptions.embed ?? true),
    writePrepared(client, prepared, writeOptions = {}) {
      return write(client, prepared, writeOptions.prune ?? false);
    },
  };
}

/** Replaces an article row and all its chunks (the caller's transaction makes it atomic). */
async function writeArticle(
  client: Queryable,
  article: PlannedArticle,
  vectors: Map<string, number[]>,
  model: string,
): Promise<void> {
  const { document } = article;
  const { rows } = await client.query<{ published: boolean }>(
    `INSERT INTO kb_articles (slug, title, url, category, tags, visibility, format, body, content_hash, updated_at, ingested_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10::timestamptz, now()), now())
     ON CONFLICT (slug) DO UPDATE SET title = EXCLUDED.title, url = EXCLUDED.url, category = EXCLUDED.category,
       tags = EXCLUDED.tags, visibility = EXCLUDED.visibility, format = EXCLUDED.format, body = EXCLUDED.body,
       content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at, ingested_at = now()
     RETURNING published`,
    [
      document.slug,
      document.title,
      document.url,
      document.category,
      document.tags,
      document.visibility,
      document.format,
      document.body,
      article.hash,
      document.updatedAt?.toISOString() ?? null,
    ],
  );
  await client.query('DELETE FROM kb_chunks WHERE article_slug = $1', [document.slug]);
  // An unpublished article (migration 0031) keeps its new text for editing but stays out of search,
  // whoever re-ingests it: publishing it again writes its chunks.
  if (rows[0]?.published === false) return;
  await insertChunks(client, document.slug, article.chunks, vectors, model);
}

/** Multi-row insert of chunks with their vectors, batched under the parameter limit. */
export async function insertChunks(
  client: Queryable,
  slug: string,
  chunks: KeyedChunk[],
  vectors: Map<string, number[]>,
  model: string,
): Promise<void> {
  for (let start = 0; start < chunks.length; start += 500) {
    const values: unknown[] = [];
    const tuples = chunks.slice(start, start + 500).map((chunk) => {
      values.push(slug, chunk.ordinal, chunk.headingPath, chunk.heading, chunk.content, chunk.key);
      // No vector yet (a text-first write): NULL, which vector search skips.
      const vector = vectors.get(chunk.key);
      values.push(vector ? pgvector.toSql(vector) : null, vector ? model : null);
      const base = values.length - 8;
      return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}::vector, $${base + 8})`;
    });
    await client.query(
      `INSERT INTO kb_chunks (article_slug, ordinal, heading_path, heading, content, content_hash, embedding, embedding_model)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }
}
