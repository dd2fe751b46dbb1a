import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { type FakeOpenAI, hashedEmbedding, startFakeOpenAI } from '../test/fakes/openai/server.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import { ingestCommand, reindexCommand } from './cli.ts';
import { countingEmbedder, type Embedder } from './embedder.ts';
import { EmbeddingDimensionError, IndexMismatchError } from './errors.ts';
import { readIndexInfo } from './index-state.ts';
import { createIngester } from './ingest.ts';
import { createOpenAIEmbedder } from './openai-embedder.ts';
import { createKnowledgeSearch } from './search.ts';
import { testArticles } from './test-articles.ts';

/** A deterministic bag-of-words embedder (no model to load): a different "model" per size. */
const hashEmbedder = (dimensions: number, model = `test/hash-${dimensions}`): Embedder => ({
  model,
  dimensions,
  embed: async (texts) => texts.map((text) => hashedEmbedding(text, dimensions)),
});

let database: Database;
let fake: FakeOpenAI;

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeOpenAI()]);
});

afterAll(async () => {
  await Promise.all([database?.close(), fake?.close()]);
});

describe(`knowledge index on ${testDatabaseKind()}`, () => {
  const first = hashEmbedder(64);

  it('records the model and dimension of the first ingest', async () => {
    await createIngester({ embedder: first }).ingest(database.pool, testArticles);
    expect(await readIndexInfo(database.pool)).toEqual({ model: 'test/hash-64', dimensions: 64 });
    const { rows } = await database.pool.query(
      'SELECT DISTINCT vector_dims(embedding) AS dims, embedding_model FROM kb_chunks',
    );
    expect(rows).toEqual([{ dims: 64, embedding_model: 'test/hash-64' }]);
  });

  it('refuses an embedder that returns vectors of the wrong size, writing nothing', async () => {
    const liar: Embedder = { ...first, embed: async (texts) => texts.map(() => new Array(63).fill(0.1)) };
    const changed = { ...testArticles[0]!, content: `${testArticles[0]!.content}\nOne more line.` };
    await expect(createIngester({ embedder: liar }).ingest(database.pool, [changed])).rejects.toBeInstanceOf(
      EmbeddingDimensionError,
    );
    const { rows } = await database.pool.query(
      "SELECT body FROM kb_articles WHERE slug = 'reset-your-password'",
    );
    expect(rows[0].body).not.toContain('One more line.');
  });

  it('refuses to mix models or dimensions in search and ingest, pointing to kb:reindex', async () => {
    const other = hashEmbedder(32);
    const sameSizeOtherModel = hashEmbedder(64, 'test/other-64');
    for (const embedder of [other, sameSizeOtherModel]) {
      const search = createKnowledgeSearch({ db: database.pool, embedder });
      await expect(search.search('reset password')).rejects.toThrow(IndexMismatchError);
      await expect(search.search('reset password', { mode: 'vector' })).rejects.toThrow(/npm run kb:reindex/);
      const changed = { ...testArticles[2]!, content: `${testArticles[2]!.content}\nChanged.` };
      await expect(createIngester({ embedder }).ingest(database.pool, [changed])).rejects.toThrow(
        IndexMismatchError,
      );
    }
    // Full-text search does not compare vectors: it keeps working during a model change.
    const [top] = await createKnowledgeSearch({ db: database.pool, embedder: other }).search(
      'forgot password',
      { mode: 'fulltext' },
    );
    expect(top?.article_slug).toBe('reset-your-password');
  });

  it('reindexes everything with a new model (OpenAI-compatible fake) and rebuilds the HNSW index', async () => {
    const openai = countingEmbedder(
      createOpenAIEmbedder({ apiKey: fake.apiKey, baseURL: fake.baseURL, batchSize: 8 }),
    );
    const report = await reindexCommand({ db: database, embedder: openai });
    expect(report).toMatchObject({
      model: 'openai/text-embedding-3-small',
      dimensions: 1536,
      articles: testArticles.length,
    });
    expect(report.chunks).toBeGreaterThan(0);
    expect(await readIndexInfo(database.pool)).toEqual({
      model: 'openai/text-embedding-3-small',
      dimensions: 1536,
    });
    const { rows: dims } = await database.pool.query(
      'SELECT DISTINCT vector_dims(embedding) AS dims FROM kb_chunks',
    );
    expect(dims).toEqual([{ dims: 1536 }]);
    const { rows: indexes } = await database.pool.query(
      "SELECT indexdef FROM pg_indexes WHERE indexname = 'kb_chunks_embedding_hnsw'",
    );
    expect(indexes[0].indexdef).toMatch(/hnsw.*vector\(1536\).*vector_cosine_ops/);
    expect(fake.requests.every((request) => request.inputs.length <= 8)).toBe(true);
    const [top] = await createKnowledgeSearch({ db: database.pool, embedder: openai }).search(
      'forgot password reset link',
      { mode: 'vector' },
    );
    expect(top?.article_slug).toBe('reset-your-password');
    await expect(
      createKnowledgeSearch({ db: database.pool, embedder: first }).search('password'),
    ).rejects.toThrow(IndexMismatchError);
  });

  it('ingests a folder through the CLI command, skipping files it cannot read', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const folder = await mkdtemp(path.join(tmpdir(), 'kb-folder-'));
    try {
      await writeFile(
        path.join(folder, 'new-guide.md'),
        '---\ntitle: New guide\nvisibility: public\n---\nHow to export funnels.',
      );
      await writeFile(path.join(folder, 'logo.png'), new Uint8Array([1, 2, 3]));
      const openai = createOpenAIEmbedder({ apiKey: fake.apiKey, baseURL: fake.baseURL });
      const report = await ingestCommand({ db: database, embedder: openai, folder });
      expect(report.created).toEqual(['new-guide']);
      expect(report.skipped).toEqual(['logo.png']);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
