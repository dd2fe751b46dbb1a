import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallerSession, OperationContext } from '../connectors/core/definition.ts';
import { ConnectorError } from '../connectors/core/errors.ts';
import type { Database } from '../db/database.ts';
import { loadWorld } from '../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import { createAnswerSupport } from './answer.ts';
import { createKnowledgeConnector } from './connector.ts';
import { type CountingEmbedder, countingEmbedder } from './embedder.ts';
import { DocumentBatchError } from './errors.ts';
import { createIngester } from './ingest.ts';
import { sharedLocalEmbedder } from './local-embedder.ts';
import { createKnowledgeSearch, type KnowledgeSearch } from './search.ts';
import { testArticles } from './test-articles.ts';
import { createWorldArticleIngester } from './world-ingester.ts';

let database: Database;
let embedder: CountingEmbedder;
let search: KnowledgeSearch;

const session = (actor: CallerSession['actor']): CallerSession => ({
  conversationId: 'conv_1',
  actor,
  customer: actor === 'human' ? null : { contactId: 'ct_1', accountId: 'acc_1', verified: false },
});
const context = (actor: CallerSession['actor']): OperationContext => ({
  session: session(actor),
  now: () => new Date(),
  signal: new AbortController().signal,
  policy: { auto_refund_limit_cents: 20000, refund_window_days: 30 },
});
const chunkRows = async (slug: string) =>
  (
    await database.pool.query<{ ordinal: number; content: string; heading: string }>(
      'SELECT ordinal, content, heading FROM kb_chunks WHERE article_slug = $1 ORDER BY ordinal',
      [slug],
    )
  ).rows;

beforeAll(async () => {
  database = await createTestDatabase();
  embedder = countingEmbedder(sharedLocalEmbedder());
  search = createKnowledgeSearch({ db: database.pool, embedder });
  await createIngester({ embedder }).ingest(database.pool, testArticles);
});

afterAll(async () => {
  await database?.close();
});

describe(`knowledge base on ${testDatabaseKind()}`, () => {
  it('finds the right article in every mode, with what is needed to cite it', async () => {
    for (const mode of ['vector', 'fulltext', 'hybrid'] as const) {
      const [top] = await search.search('I forgot my password, how do I reset it?', { mode });
      expect(top, mode).toMatchObject({
        article_slug: 'reset-your-password',
        title: 'Reset your password',
        url: '/help/reset-your-password',
      });
      expect(top!.heading_path[0]).toBe('Reset your password');
      expect(top!.score).toBeGreaterThan(0);
    }
    const [hybrid] = await search.search('reset link expired', { mode: 'hybrid' });
    expect(hybrid!.vector_score).toBeGreaterThan(0);
    expect(hybrid!.text_score).toBeGreaterThan(0);
    const [html] = await search.search('how many requests per second can I send to the ingestion API');
    expect(html).toMatchObject({ article_slug: 'api-rate-limits', title: 'API rate limits' });
    expect(html!.content).not.toContain('trackVisitor');
  });

  it('tolerates typos and filters by tag', async () => {
    const [typo] = await search.search('pasword resett', { mode: 'fulltext' });
    expect(typo?.article_slug).toBe('reset-your-password');
    const tagged = await search.search('refund', { tags: ['api'] });
    expect(tagged.every((passage) => passage.article_slug === 'api-rate-limits')).toBe(true);
  });

  it('never shows internal articles to a customer; a human agent sees them', async () => {
    const question = 'who approves refunds above $200 and how';
    for (const mode of ['vector', 'fulltext', 'hybrid'] as const) {
      const passages = await search.search(question, { mode, limit: 10 });
      expect(passages.map((passage) => passage.article_slug)).not.toContain('refund-approval-process');
    }
    const internal = await search.search(question, { audience: 'internal', limit: 10 });
    expect(internal.map((passage) => passage.article_slug)).toContain('refund-approval-process');
    expect(await search.getArticle('refund-approval-process')).toBeNull();
    expect((await search.getArticle('refund-approval-process', { audience: 'internal' }))?.title).toContain(
      'staff',
    );
  });

  it('filters on chunk copies of the article’s visibility and tags that follow every change', async () => {
    const question = 'I forgot my password, how do I reset it?';
    const slugs = async (options: Parameters<KnowledgeSearch['search']>[1]) =>
      (await search.search(question, { limit: 10, ...options })).map((passage) => passage.article_slug);
    const { rows: original } = await database.pool.query<{ tags: string[] }>(
      "SELECT tags FROM kb_articles WHERE slug = 'reset-your-password'",
    );
    // Written behind the ingester's back: the triggers, not the application, keep the copies equal.
    await database.pool.query(
      "UPDATE kb_articles SET visibility = 'internal', tags = '{moved}' WHERE slug = 'reset-your-password'",
    );
    try {
      for (const mode of ['vector', 'fulltext', 'hybrid'] as const)
        expect(await slugs({ mode }), mode).not.toContain('reset-your-password');
      expect(await slugs({ audience: 'internal', tags: ['moved'] })).toEqual(['reset-your-password']);
      // A chunk cannot be given other values than its article's.
      await database.pool.query(
        "UPDATE kb_chunks SET visibility = 'public' WHERE article_slug = 'reset-your-password'",
      );
      expect(await slugs({ mode: 'fulltext' })).not.toContain('reset-your-password');
    } finally {
      await database.pool.query(
        "UPDATE kb_articles SET visibility = 'public', tags = $1 WHERE slug = 'reset-your-password'",
        [original[0]!.tags],
      );
    }
    expect(await slugs({ mode: 'hybrid' })).toContain('reset-your-password');
  });

  it('serves the connector with the audience of the session, never of the input', async () => {
    const connector = createKnowledgeConnector({ search, answers: createAnswerSupport({ search }) });
    expect(connector.id).toBe('knowledge');
    for (const name of ['search', 'get_article', 'answer']) {
      expect(connector.operations[name]).toMatchObject({
        effect: 'read',
        allowUnverified: true,
        cacheable: true,
      });
    }
    const searchOperation = connector.operations.search!;
    const input = searchOperation.input.parse({
      query: 'refund approval above $200 billing team lead',
      limit: 10,
    });
    const asAgent = await searchOperation.run(input, context('agent'));
    expect(asAgent.passages.map((passage: { article_slug: string }) => passage.article_slug)).not.toContain(
      'refund-approval-process',
    );
    const asHuman = await searchOperation.run(input, context('human'));
    expect(asHuman.passages.map((passage: { article_slug: string }) => passage.article_slug)).toContain(
      'refund-approval-process',
    );
    expect(() => searchOperation.input.parse({ query: 'x', audience: 'internal' })).toThrow();
    const getArticle = connector.operations.get_article!;
    await expect(getArticle.run({ slug: 'refund-approval-process' }, context('agent'))).rejects.toMatchObject(
      { kind: 'not_found' },
    );
    await expect(
      getArticle.run({ slug: 'refund-approval-process' }, context('system')),
    ).rejects.toBeInstanceOf(ConnectorError);
    expect(await getArticle.run({ slug: 'refund-approval-process' }, context('human'))).toMatchObject({
      slug: 'refund-approval-process',
    });
    expect(
      getArticle.output.parse(await getArticle.run({ slug: 'refund-policy' }, context('agent'))),
    ).toMatchObject({ title: 'Refund policy' });
    expect(await connector.check(new AbortController().signal)).toMatchObject({ ok: true });
  });

  it('answers with citations when it can, and says it cannot otherwise', async () => {
    const { answerQuestion } = createAnswerSupport({ search });
    const answer = await answerQuestion('How long does a refund take to show up on my card?');
    expect(answer.answerable).toBe(true);
    expect(answer.confidence).toBeGreaterThan(0);
    expect(answer.confidence).toBeLessThanOrEqual(1);
    expect(answer.passages.length).toBeGreaterThanOrEqual(1);
    expect(answer.passages.length).toBeLessThanOrEqual(3);
    expect(answer.citations[0]).toEqual({
      slug: 'refund-policy',
      title: 'Refund policy',
      url: '/help/refund-policy',
    });
    const unknown = await answerQuestion('who won the football world cup in 2022?');
    expect(unknown.answerable).toBe(false);
    expect(unknown.passages).toEqual([]);
    expect(unknown.citations).toEqual([]);
    expect(unknown.confidence).toBeLessThan(answer.confidence);
  });

  it('re-ingesting unchanged articles embeds nothing and writes nothing', async () => {
    const before = await database.pool.query('SELECT id FROM kb_chunks ORDER BY id');
    embedder.reset();
    const report = await createIngester({ embedder }).ingest(database.pool, testArticles);
    expect(embedder.calls).toBe(0);
    expect(report).toMatchObject({ created: [], updated: [], chunksWritten: 0, chunksEmbedded: 0 });
    expect(report.unchanged).toHaveLength(testArticles.length);
    expect((await database.pool.query('SELECT id FROM kb_chunks ORDER BY id')).rows).toEqual(before.rows);
  });

  it('replaces a changed article’s chunks, embedding only the new text', async () => {
    const changed = {
      ...testArticles[1]!,
      content: `${testArticles[1]!.content}\n## Refunds to a closed card\n\nIf the original card was closed, your bank forwards the refund to your new card.\n`,
    };
    embedder.reset();
    const report = await createIngester({ embedder }).ingest(database.pool, [changed]);
    expect(report.updated).toEqual(['refund-policy']);
    expect(report.chunksEmbedded).toBe(report.chunksWritten);
    expect(embedder.texts).toBeGreaterThan(0);
    const rows = await chunkRows('refund-policy');
    expect(rows.map((row) => row.ordinal)).toEqual(rows.map((_, index) => index));
    expect(rows.map((row) => row.content).join('\n')).toContain('closed card');
    const [top] = await search.search('my card was closed, where does the refund go', { mode: 'hybrid' });
    expect(top?.article_slug).toBe('refund-policy');
  });

  it('leaves nothing half-ingested when writing a batch fails part-way', async () => {
    const before = await chunkRows('refund-policy');
    // A real database failure on the second article's chunks (a trigger), not a mock.
    await database.pool.query(`
      CREATE OR REPLACE FUNCTION kb_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.content LIKE '%POISON%' THEN RAISE EXCEPTION 'poisoned chunk'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER kb_test_poison BEFORE INSERT ON kb_chunks FOR EACH ROW EXECUTE FUNCTION kb_test_poison();`);
    try {
      const first = {
        ...testArticles[1]!,
        content: `${testArticles[1]!.content}\nA brand new refund paragraph.\n`,
      };
      const second = {
        source: 'poison.md',
        content: '---\ntitle: Poison\nvisibility: public\n---\nThis text holds POISON.',
      };
      await expect(createIngester({ embedder }).ingest(database.pool, [first, second])).rejects.toThrow(
        /poisoned chunk/,
      );
    } finally {
      await database.pool.query('DROP TRIGGER kb_test_poison ON kb_chunks; DROP FUNCTION kb_test_poison();');
    }
    expect(await chunkRows('refund-policy')).toEqual(before);
    expect((await database.pool.query("SELECT 1 FROM kb_articles WHERE slug = 'poison'")).rowCount).toBe(0);
  });

  it('refuses a batch with bad documents, naming each, and writes none of it', async () => {
    const good = {
      source: 'new-article.md',
      content: '---\ntitle: New article\nvisibility: public\n---\nFresh text.',
    };
    const bad = [
      good,
      { source: 'empty.md', content: '   ' },
      { source: 'binary.md', content: new Uint8Array([0x47, 0x00, 0x01, 0x02]) },
      { source: 'latin1.md', content: new Uint8Array([0x23, 0x20, 0xe9, 0x0a]) },
      { source: 'dup.md', content: '---\nslug: new-article\ntitle: Dup\n---\ntext' },
    ];
    embedder.reset();
    const failure = await createIngester({ embedder })
      .ingest(database.pool, bad)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DocumentBatchError);
    expect((failure as DocumentBatchError).errors.map((error) => `${error.source}:${error.code}`)).toEqual([
      'empty.md:empty',
      'binary.md:binary',
      'latin1.md:invalid_encoding',
      'dup.md:duplicate_slug',
    ]);
    expect(embedder.calls).toBe(0);
    expect((await database.pool.query("SELECT 1 FROM kb_articles WHERE slug = 'new-article'")).rowCount).toBe(
      0,
    );
  });

  it('uses the HNSW expression indexes (public chunks for customers, all for staff) when the planner may not scan', async () => {
    const [vector] = await embedder.embed(['reset password']);
    const client = await database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const { explainVectorQuery } = await import('../bench/retrieval/scale.ts');
      const customers = await explainVectorQuery(client, vector!, 'public');
      expect(customers.plan).toContain('Index Scan using kb_chunks_embedding_public_hnsw');
      expect(customers.usesIndex).toBe(true);
      const staff = await explainVectorQuery(client, vector!, 'internal');
      expect(staff.plan).toContain('Index Scan using kb_chunks_embedding_hnsw');
      expect(staff.usesIndex).toBe(true);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('plugs into the world loader on the loader’s own transaction', async () => {
    const ingestArticles = createWorldArticleIngester({ embedder });
    await loadWorld(
      database.pool,
      {
        articles: [
          {
            slug: 'world-article',
            title: 'Data export',
            body: 'Export your dashboards as CSV files from the share menu.',
            visibility: 'public',
            tags: ['export'],
          },
        ],
      },
      { ingestArticles },
    );
    const [top] = await search.search('export dashboard to csv', { tags: ['export'] });
    expect(top?.article_slug).toBe('world-article');
    // A bad article fails the whole world load: nothing of it remains.
    await expect(
      loadWorld(
        database.pool,
        {
          accounts: [{ id: 'acc_world', name: 'World', tier: 'pro', region: 'EU' }],
          articles: [{ slug: 'world-bad', title: 'Bad', body: ' \n ', visibility: 'public' }],
        },
        { ingestArticles },
      ),
    ).rejects.toThrow(/world-bad/);
    expect((await database.pool.query("SELECT 1 FROM accounts WHERE id = 'acc_world'")).rowCount).toBe(0);
  });
});
