import type pg from 'pg';
import pgvector from 'pgvector/pg';
import type { Queryable } from '../../connectors/core/queryable.ts';
import type { Audience } from '../../knowledge/audience.ts';
import {
  createVectorIndex,
  dropVectorIndexes,
  hnswIndexName,
  publicHnswIndexName,
} from '../../knowledge/index-state.ts';
import { nearestChunksSql } from '../../knowledge/retrieval.ts';
import { mulberry32 } from './random.ts';

/**
 * Grows the corpus to at least `target` chunks with synthetic copies of the real articles
 * (slug `<slug>-syn-<n>`): each copy's passages have their sentences shuffled and their vector
 * moved by Gaussian noise (cosine ≈ 0.9 to the original), so no text is embedded. This measures
 * latency at size; retrieval quality is only measured on the real corpus.
 */
export async function scaleCorpus(
  pool: pg.Pool,
  target: number,
  seed = 42,
): Promise<{ chunks: number; articles: number }> {
  const random = mulberry32(seed);
  const { rows: articles } = await pool.query<{
    slug: string;
    title: string;
    url: string | null;
    category: string | null;
    tags: string[];
    visibility: string;
    body: string;
    content_hash: string;
  }>(
    "SELECT slug, title, url, category, tags, visibility, body, content_hash FROM kb_articles WHERE slug NOT LIKE '%-syn-%' ORDER BY slug",
  );
  const { rows: chunks } = await pool.query<{
    article_slug: string;
    ordinal: number;
    heading_path: string[];
    heading: string;
    content: string;
    content_hash: string;
    embedding: number[];
    embedding_model: string;
  }>(
    "SELECT article_slug, ordinal, heading_path, heading, content, content_hash, embedding, embedding_model FROM kb_chunks WHERE article_slug NOT LIKE '%-syn-%' ORDER BY article_slug, ordinal",
  );
  const { rows: counted } = await pool.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM kb_chunks',
  );
  const copies = Math.max(0, Math.ceil((target - counted[0]!.count) / Math.max(1, chunks.length)));
  const dimensions = chunks[0]?.embedding.length ?? 0;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await dropVectorIndexes(client);
    for (let copy = 1; copy <= copies; copy++) {
      const values: unknown[] = [];
      const tuples = articles.map((article) => {
        values.push(
          `${article.slug}-syn-${copy}`,
          `${article.title} (${copy})`,
          article.url,
          article.category,
          article.tags,
          article.visibility,
          article.body,
          article.content_hash,
        );
        const base = values.length - 8;
        return `(${Array.from({ length: 8 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO kb_articles (slug, title, url, category, tags, visibility, body, content_hash) VALUES ${tuples.join(', ')}`,
        values,
      );
      for (let start = 0; start < chunks.length; start += 400) {
        const rowValues: unknown[] = [];
        const rowTuples = chunks.slice(start, start + 400).map((chunk) => {
          rowValues.push(
            `${chunk.article_slug}-syn-${copy}`,
            chunk.ordinal,
            chunk.heading_path,
            chunk.heading,
            shuffleSentences(chunk.content, random),
            `${chunk.content_hash}-syn-${copy}`,
            pgvector.toSql(jitter(chunk.embedding, random)),
            chunk.embedding_model,
          );
          const base = rowValues.length - 8;
          return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}::vector, $${base + 8})`;
        });
        await client.query(
          `INSERT INTO kb_chunks (article_slug, ordinal, heading_path, heading, content, content_hash, embedding, embedding_model) VALUES ${rowTuples.join(', ')}`,
          rowValues,
        );
      }
    }
    // Building the HNSW index once after the bulk load is much faster than row by row.
    await createVectorIndex(client, dimensions);
    await client.query('UPDATE kb_index SET updated_at = clock_timestamp() WHERE id');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  await pool.query('ANALYZE kb_chunks');
  await pool.query('ANALYZE kb_articles');
  const { rows: totals } = await pool.query<{ chunks: number; articles: number }>(
    'SELECT (SELECT count(*)::int FROM kb_chunks) AS chunks, (SELECT count(*)::int FROM kb_articles) AS articles',
  );
  return totals[0]!;
}

/**
 * EXPLAIN of the search's nearest-chunks query for `audience`: the plan text and whether an HNSW
 * index serves it (the public partial index for customers, the whole one for staff).
 */
export async function explainVectorQuery(
  db: Queryable,
  vector: number[],
  audience: Audience = 'public',
): Promise<{ usesIndex: boolean; plan: string }> {
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN ${nearestChunksSql(vector.length, audience)}`,
    [pgvector.toSql(vector), 40, []],
  );
  // The query vector is hundreds of numbers long: shorten it in the printed plan.
  const plan = rows.map((row) => row['QUERY PLAN'].replace(/'\[[^\]]{60,}\]'/g, "'[…]'")).join('\n');
  const index = audience === 'public' ? publicHnswIndexName : hnswIndexName;
  return { usesIndex: new RegExp(`Index Scan using ${index}\\b`).test(plan), plan };
}

function shuffleSentences(text: string, random: () => number): string {
  const sentences = text.split(/(?<=[.!?])\s+/);
  for (let i = sentences.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sentences[i], sentences[j]] = [sentences[j]!, sentences[i]!];
  }
  return sentences.join(' ');
}

function jitter(vector: number[], random: () => number): number[] {
  const sigma = 0.45 / Math.sqrt(vector.length);
  const moved = vector.map((value) => value + sigma * gaussian(random));
  const length = Math.hypot(...moved) || 1;
  return moved.map((value) => value / length);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}
