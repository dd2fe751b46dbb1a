import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import { createAnswerSupport } from './answer.ts';
import { ingestInGroups } from './demo-articles.ts';
import { countingEmbedder } from './embedder.ts';
import { DocumentBatchError } from './errors.ts';
import { createIngester } from './ingest.ts';
import { sharedLocalEmbedder } from './local-embedder.ts';
import { createKnowledgeSearch } from './search.ts';
import { testArticles } from './test-articles.ts';
import { createWorkerEmbedder, type WorkerEmbedder } from './worker-embedder.ts';

let whole: Database;
let grouped: Database;
let worker: WorkerEmbedder;

const rows = async (database: Database) => ({
  articles: (
    await database.pool.query<{ slug: string; content_hash: string }>(
      'SELECT slug, content_hash, visibility, tags FROM kb_articles ORDER BY slug',
    )
  ).rows,
  chunks: (
    await database.pool.query<{
      article_slug: string;
      ordinal: number;
      content_hash: string;
      embedding: number[];
    }>('SELECT article_slug, ordinal, content_hash, embedding FROM kb_chunks ORDER BY article_slug, ordinal')
  ).rows,
});
const cosine = (a: number[], b: number[]) =>
  a.reduce((sum, value, index) => sum + value * b[index]!, 0) / (Math.hypot(...a) * Math.hypot(...b));

beforeAll(async () => {
  [whole, grouped] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  worker = createWorkerEmbedder();
});
afterAll(async () => {
  await worker?.close();
  await Promise.all([whole?.close(), grouped?.close()]);
});

describe(`ingestion in groups through the worker thread on ${testDatabaseKind()}`, () => {
  it('writes what one in-thread ingest writes, and re-embeds nothing on the next run', async () => {
    await createIngester({ embedder: sharedLocalEmbedder() }).ingest(whole.pool, testArticles);
    const groups: number[] = [];
    const embedder = countingEmbedder(worker);
    const report = await ingestInGroups(grouped.pool, createIngester({ embedder }), testArticles, {
      groupSize: 2,
      onGroup: (group) => groups.push(group.created.length),
    });
    expect(report.created).toHaveLength(testArticles.length);
    expect(groups).toEqual(
      Array.from({ length: Math.ceil(testArticles.length / 2) }, (_, index) =>
        Math.min(2, testArticles.length - index * 2),
      ),
    );
    const [expected, actual] = await Promise.all([rows(whole), rows(grouped)]);
    expect(actual.articles).toEqual(expected.articles);
    expect(actual.chunks.map(({ embedding: _, ...chunk }) => chunk)).toEqual(
      expected.chunks.map(({ embedding: _, ...chunk }) => chunk),
    );
    for (const [index, chunk] of actual.chunks.entries()) {
      expect(cosine(chunk.embedding, expected.chunks[index]!.embedding)).toBeGreaterThanOrEqual(0.999);
    }

    embedder.reset();
    const again = await ingestInGroups(grouped.pool, createIngester({ embedder }), testArticles, {
      groupSize: 2,
    });
    expect(again.unchanged).toHaveLength(testArticles.length);
    expect(again.chunksEmbedded).toBe(0);
    expect(embedder.texts).toBe(0);
  });

  it('fails at a bad group and keeps the groups committed before it', async () => {
    const database = await createTestDatabase();
    try {
      const bad = { source: 'empty.md', content: '---\nslug: empty-article\ntitle: Empty\n---\n' };
      const documents = [testArticles[0]!, testArticles[1]!, bad];
      const failure = await ingestInGroups(database.pool, createIngester({ embedder: worker }), documents, {
        groupSize: 2,
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DocumentBatchError);
      expect((failure as Error).message).toContain('empty.md');
      const { rows: stored } = await database.pool.query<{ slug: string }>(
        'SELECT slug FROM kb_articles ORDER BY slug',
      );
      expect(stored.map((row) => row.slug)).toHaveLength(2);
      expect(stored.map((row) => row.slug)).not.toContain('empty-article');
    } finally {
      await database.close();
    }
  });

  it('answers from full text while the index is written text first, then embeds every chunk', async () => {
    const database = await createTestDatabase();
    try {
      const embedder = countingEmbedder(worker);
      const ingester = createIngester({ embedder });
      // Prepared before taking the client: PGlite has one connection (docs/architecture.md, "Database").
      const textOnly = await ingester.prepare(database.pool, testArticles, { embed: false });
      const client = await database.pool.connect();
      try {
        await ingester.writePrepared(client, textOnly);
      } finally {
        client.release();
      }
      expect(embedder.texts).toBe(0);
      const pending = await database.pool.query<{ unembedded: number; pending: number }>(
        `SELECT (SELECT count(*)::int FROM kb_chunks WHERE embedding IS NULL AND embedding_model IS NULL) AS unembedded,
                (SELECT count(*)::int FROM kb_articles WHERE content_hash LIKE 'pending:%') AS pending`,
      );
      expect(pending.rows[0]!.pending).toBe(testArticles.length);
      expect(pending.rows[0]!.unembedded).toBeGreaterThan(0);

      const search = createKnowledgeSearch({ db: database.pool, embedder: sharedLocalEmbedder() });
      expect(await search.search('how do I reset my password', { mode: 'vector' })).toEqual([]);
      const answer = await createAnswerSupport({ search }).answerQuestion(
        'I forgot my password, how do I reset it?',
      );
      expect(answer.answerable).toBe(true);
      expect(answer.citations.map((citation) => citation.slug)).toContain('reset-your-password');

      const report = await ingestInGroups(database.pool, ingester, testArticles, { groupSize: 3 });
      expect(report.updated).toHaveLength(testArticles.length);
      expect(report.chunksEmbedded).toBe(report.chunksWritten);
      const stored = await rows(database);
      expect(stored.articles.some((article) => article.content_hash.startsWith('pending:'))).toBe(false);
      expect(stored.chunks.every((chunk) => chunk.embedding?.length === 512)).toBe(true);
      expect((await search.search('how do I reset my password', { mode: 'vector' }))[0]?.article_slug).toBe(
        'reset-your-password',
      );
    } finally {
      await database.close();
    }
  });

  it('keeps a stored article and its vectors when a text-first write meets a changed version', async () => {
    const ingester = createIngester({ embedder: worker });
    const [first] = testArticles;
    const changed = { ...first!, content: `${first!.content}\n\nA new closing sentence about passwords.` };
    const before = await rows(grouped);
    const textOnly = await ingester.prepare(grouped.pool, [changed], { embed: false });
    const client = await grouped.pool.connect();
    try {
      const report = await ingester.writePrepared(client, textOnly);
      expect(report.unchanged).toHaveLength(1);
    } finally {
      client.release();
    }
    expect(await rows(grouped)).toEqual(before);
  });
});
