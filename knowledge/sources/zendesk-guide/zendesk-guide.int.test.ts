import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../connectors/core/errors.ts';
import type { Database } from '../../../db/database.ts';
import { hashedEmbedding } from '../../../test/fakes/openai/server.ts';
import { type FakeZendesk, startFakeZendesk } from '../../../test/fakes/zendesk/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import type { Embedder } from '../../embedder.ts';
import { createIngester } from '../../ingest.ts';
import { createKnowledgeSearch } from '../../search.ts';
import { GuideSyncBusyError, type GuideSyncOptions, syncZendeskGuide } from './sync.ts';
import { createGuideTransport, type GuideTransport } from './transport.ts';

/** A deterministic bag-of-words embedder: no model to load. */
const embedder: Embedder = {
  model: 'test/hash-64',
  dimensions: 64,
  embed: async (texts) => texts.map((text) => hashedEmbedding(text, 64)),
};

let database: Database;
let fake: FakeZendesk;
let transport: GuideTransport;
const waits: number[] = [];

const sync = (options: Partial<GuideSyncOptions> = {}) =>
  syncZendeskGuide({
    pool: database.pool,
    ingester: createIngester({ embedder }),
    transport,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });

const indexed = async () =>
  (
    await database.pool.query<{
      slug: string;
      title: string;
      url: string;
      visibility: string;
      category: string | null;
      tags: string[];
      body: string;
    }>('SELECT slug, title, url, visibility, category, tags, body FROM kb_articles ORDER BY slug')
  ).rows;
const cursor = async () =>
  (
    await database.pool.query<{ cursor_start_time: string | null }>(
      "SELECT cursor_start_time FROM knowledge_sources WHERE id = 'zendesk-guide'",
    )
  ).rows[0]?.cursor_start_time ?? null;
const exportStarts = () =>
  fake.requests
    .filter((request) => request.operation === 'help_center.incremental_articles')
    .map((request) => Number(request.query.start_time));

beforeAll(async () => {
  [database, fake] = await Promise.all([
    createTestDatabase(),
    startFakeZendesk({ now: '2026-11-20T09:00:00Z' }),
  ]);
  transport = createGuideTransport({
    baseUrl: fake.url,
    auth: { type: 'api_token', email: fake.agent.email, apiToken: fake.agent.apiToken },
    pageSize: 2,
  });
});

afterAll(async () => {
  await Promise.all([database?.close(), fake?.close()]);
});

beforeEach(() => {
  waits.length = 0;
  fake.requests.length = 0;
});

describe(`Zendesk Guide sync over HTTP against the fake, on ${testDatabaseKind()}`, () => {
  const ids: Record<string, number> = {};

  it('first sync: takes every published article (HTML → Markdown, metadata kept), skips drafts', async () => {
    const billing = fake.helpCenter.addSection('Billing');
    const security = fake.helpCenter.addSection('Security');
    ids.refunds = fake.helpCenter.addArticle({
      title: 'How refunds work',
      body: '<p>Refunds go back to the <strong>original card</strong>.</p><h2>How long</h2><ul><li>5 to 10 business days</li></ul>',
      section_id: billing,
      label_names: ['Refunds', 'billing'],
    }).id;
    // One change a second: Zendesk's export pages end at a second and start again at it.
    fake.clock.now += 1000;
    ids.sso = fake.helpCenter.addArticle({
      title: 'SAML SSO for staff',
      body: '<p>Configure the identity provider with the entity id from Settings.</p>',
      section_id: security,
      user_segment_id: 12_345,
    }).id;
    fake.clock.now += 1000;
    ids.draft = fake.helpCenter.addArticle({
      title: 'Unreleased plans',
      body: '<p>Coming soon: the Galaxy plan.</p>',
      draft: true,
    }).id;
    fake.clock.now += 1000;
    ids.invoices = fake.helpCenter.addArticle({
      title: 'Download invoices',
      body: '<p>Open Billing, then Invoices, and pick a month.</p>',
      section_id: billing,
    }).id;
    fake.helpCenter.exportPageSize = 2;

    const report = await sync();

    expect(report.created.sort()).toEqual(
      [`zendesk-${ids.invoices}`, `zendesk-${ids.refunds}`, `zendesk-${ids.sso}`].sort(),
    );
    expect(report).toMatchObject({ updated: [], deleted: [], skipped: 1, errors: [], complete: true });
    // start_time 0 first (everything), then each page's end_time.
    expect(exportStarts()[0]).toBe(0);
    expect(exportStarts().length).toBeGreaterThan(1);
    const rows = await indexed();
    expect(rows.map((row) => row.slug)).not.toContain(`zendesk-${ids.draft}`);
    const refunds = rows.find((row) => row.slug === `zendesk-${ids.refunds}`)!;
    expect(refunds).toMatchObject({
      title: 'How refunds work',
      url: `${fake.url}/hc/en-us/articles/${ids.refunds}`,
      visibility: 'public',
      category: 'Billing',
      tags: ['refunds', 'billing'],
    });
    expect(refunds.body).toContain('**original card**');
    expect(refunds.body).toContain('## How long');
    expect(refunds.body).toContain('- 5 to 10 business days');
    // Restricted to a user segment: only human agents see it, never customers.
    expect(rows.find((row) => row.slug === `zendesk-${ids.sso}`)!.visibility).toBe('internal');
    expect(Number(await cursor())).toBe(Math.floor(fake.clock.now / 1000));
    const search = createKnowledgeSearch({ db: database.pool, embedder });
    const hits = await search.search('refund card business days', { audience: 'public' });
    expect(hits[0]?.article_slug).toBe(`zendesk-${ids.refunds}`);
    const sso = 'SAML identity provider entity id';
    expect((await search.search(sso, { audience: 'public' })).map((hit) => hit.article_slug)).not.toContain(
      `zendesk-${ids.sso}`,
    );
    expect((await search.search(sso, { audience: 'internal' }))[0]?.article_slug).toBe(`zendesk-${ids.sso}`);
  });

  it('incremental sync: asks from the stored cursor and re-ingests only what changed', async () => {
    const before = Number(await cursor());
    fake.clock.now += 60_000;
    fake.helpCenter.updateArticle(ids.invoices!, {
      body: '<p>Open Billing, then Invoices. Invoices are kept for seven years.</p>',
    });

    const report = await sync();

    expect(exportStarts()[0]).toBe(before);
    expect(report).toMatchObject({
      created: [],
      updated: [`zendesk-${ids.invoices}`],
      deleted: [],
      errors: [],
    });
    const invoices = (await indexed()).find((row) => row.slug === `zendesk-${ids.invoices}`)!;
    expect(invoices.body).toContain('seven years');
    expect(Number(await cursor())).toBe(Math.floor(fake.clock.now / 1000));

    // Nothing changed since: one export page, nothing written.
    fake.requests.length = 0;
    const quiet = await sync();
    expect(quiet).toMatchObject({ created: [], updated: [], deleted: [] });
  });

  it('deletions: archived and unpublished articles leave the index, a republished one comes back', async () => {
    fake.clock.now += 60_000;
    fake.helpCenter.archiveArticle(ids.sso!);
    fake.helpCenter.updateArticle(ids.invoices!, { draft: true });

    const report = await sync();

    expect(report.deleted.sort()).toEqual([`zendesk-${ids.invoices}`, `zendesk-${ids.sso}`].sort());
    expect((await indexed()).map((row) => row.slug)).toEqual([`zendesk-${ids.refunds}`]);
    const { rows: chunks } = await database.pool.query(
      'SELECT DISTINCT article_slug FROM kb_chunks ORDER BY article_slug',
    );
    expect(chunks).toEqual([{ article_slug: `zendesk-${ids.refunds}` }]);
    const { rows: held } = await database.pool.query('SELECT external_id FROM knowledge_source_articles');
    expect(held).toEqual([{ external_id: String(ids.refunds) }]);

    fake.clock.now += 60_000;
    fake.helpCenter.updateArticle(ids.invoices!, { draft: false });
    expect((await sync()).created).toEqual([`zendesk-${ids.invoices}`]);
  });

  it('an article deleted without any export change is still found gone by the id listing', async () => {
    // Zendesk's export does not report archived articles; the listing compare does.
    fake.helpCenter.articles.get(ids.invoices!)!.archived = true;
    const report = await sync();
    expect(report.deleted).toEqual([`zendesk-${ids.invoices}`]);
    expect(fake.requests.some((request) => request.operation === 'help_center.articles.list')).toBe(true);
  });

  it('an id listing that fails deletes nothing (a missing id is never read as a deletion)', async () => {
    const held = (await indexed()).map((row) => row.slug);
    const victim = Number(held[0]!.replace('zendesk-', ''));
    fake.helpCenter.articles.get(victim)!.archived = true;
    fake.failNext(500, { operation: 'help_center.articles.list', times: 2 });
    await expect(sync({ attempts: 2 })).rejects.toMatchObject({ kind: 'transient' });
    expect((await indexed()).map((row) => row.slug)).toEqual(held);
    fake.helpCenter.articles.get(victim)!.archived = false;
  });

  it('429 and 503 with Retry-After: waits as asked, retries, and the sync completes', async () => {
    fake.clock.now += 60_000;
    fake.helpCenter.updateArticle(ids.refunds!, { title: 'How refunds work (updated)' });
    fake.failNext(429, { operation: 'help_center.incremental_articles', retryAfter: 2 });
    fake.failNext(503, { operation: 'help_center.articles.list', retryAfter: 1 });

    const report = await sync();

    expect(waits).toEqual([2000, 1000]);
    expect(report.updated).toEqual([`zendesk-${ids.refunds}`]);
    expect(fake.requests.filter((request) => request.status === 429 || request.status === 503)).toHaveLength(
      2,
    );
  });

  it('a Retry-After longer than the sync waits, or retries running out: the run fails, the cursor stays', async () => {
    const before = await cursor();
    fake.clock.now += 60_000;
    fake.helpCenter.updateArticle(ids.refunds!, { title: 'How refunds work (again)' });
    fake.failNext(429, { operation: 'help_center.incremental_articles', retryAfter: 3600 });
    const error = await sync().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 3600 });
    expect(waits).toEqual([]);
    expect(await cursor()).toBe(before);

    fake.failNext(500, { operation: 'help_center.incremental_articles', times: 2 });
    await expect(sync({ attempts: 2 })).rejects.toMatchObject({ kind: 'transient' });
    expect(await cursor()).toBe(before);
    const { rows } = await database.pool.query(
      "SELECT last_status, last_error, running_since FROM knowledge_sources WHERE id = 'zendesk-guide'",
    );
    expect(rows[0]).toMatchObject({ last_status: 'failed', running_since: null });
    expect(rows[0].last_error).toContain('Zendesk help_center.incremental_articles (500');
  });

  it('a malformed body: a clear permanent error, nothing written, the cursor unchanged', async () => {
    const before = await cursor();
    const titles = (await indexed()).map((row) => row.title);
    fake.failNext('malformed', { operation: 'help_center.incremental_articles' });
    await expect(sync()).rejects.toMatchObject({
      kind: 'permanent',
      message: 'unreadable response from Zendesk help_center.incremental_articles (not JSON)',
    });
    expect(await cursor()).toBe(before);
    expect((await indexed()).map((row) => row.title)).toEqual(titles);
    // The next run catches up.
    expect((await sync()).updated).toEqual([`zendesk-${ids.refunds}`]);
  });

  it('a vendor answer of the wrong shape is refused whole, naming the field', async () => {
    fake.clock.now += 60_000;
    const article = fake.helpCenter.updateArticle(ids.refunds!, {});
    // The fake renders what it holds: a title that is not a string is not Zendesk's shape.
    (article as unknown as { title: unknown }).title = 42;
    const before = await cursor();
    await expect(sync()).rejects.toMatchObject({
      kind: 'permanent',
      message: expect.stringContaining('articles.0.title'),
    });
    expect(await cursor()).toBe(before);
    (article as unknown as { title: unknown }).title = 'How refunds work';
  });

  it('401: fails at once as auth_expired (no retry), nothing changes', async () => {
    const refused = createGuideTransport({
      baseUrl: fake.url,
      auth: { type: 'api_token', email: fake.agent.email, apiToken: 'wrong' },
    });
    await expect(sync({ transport: refused })).rejects.toMatchObject({ kind: 'auth_expired' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ status: 401, auth: 'refused' });
  });

  it('a sync interrupted midway resumes from the last stored page, losing and duplicating nothing', async () => {
    await sync();
    fake.clock.now += 60_000;
    const added: number[] = [];
    for (let index = 0; index < 5; index++) {
      fake.clock.now += 1000;
      added.push(
        fake.helpCenter.addArticle({ title: `Guide ${index}`, body: `<p>Step ${index} of the guide.</p>` })
          .id,
      );
    }
    let calls = 0;
    const dying: GuideTransport = {
      ...transport,
      incrementalArticles: async (startTime, signal) => {
        calls += 1;
        if (calls === 2) throw new Error('worker killed');
        return transport.incrementalArticles(startTime, signal);
      },
    };
    await expect(sync({ transport: dying })).rejects.toThrow('worker killed');
    // The first page (the boundary article of the last run, then the first new one) was stored.
    const afterFirstPage = (await indexed()).map((row) => row.slug);
    expect(afterFirstPage).toContain(`zendesk-${added[0]}`);
    expect(afterFirstPage).not.toContain(`zendesk-${added[4]}`);
    const stored = Number(await cursor());
    expect(stored).toBe(Math.floor(fake.helpCenter.articles.get(added[0]!)!.updated_at / 1000));

    fake.requests.length = 0;
    const resumed = await sync();
    expect(exportStarts()[0]).toBe(stored);
    expect(resumed.created.sort()).toEqual(
      added
        .slice(1)
        .map((id) => `zendesk-${id}`)
        .sort(),
    );
    const slugs = (await indexed()).map((row) => row.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const id of added) expect(slugs).toContain(`zendesk-${id}`);
    const { rows } = await database.pool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM knowledge_source_articles',
    );
    expect(rows[0]!.count).toBe(slugs.length);
  });

  it('embeds with no transaction open: the database answers others meanwhile (PGlite has one connection)', async () => {
    let answered = 0;
    const polite: Embedder = {
      ...embedder,
      embed: async (texts) => {
        // Would wait forever for the single PGlite connection if a transaction held it.
        const probe = database.pool.query('SELECT 1').then(() => (answered += 1));
        await Promise.race([
          probe,
          new Promise((_, reject) => setTimeout(() => reject(new Error('the database was held')), 5_000)),
        ]);
        return embedder.embed(texts);
      },
    };
    fake.clock.now += 60_000;
    fake.helpCenter.addArticle({
      title: 'Rotate an API key',
      body: '<p>Create the new key, then revoke the old one.</p>',
    });
    const report = await sync({ ingester: createIngester({ embedder: polite }) });
    expect(report.created).toHaveLength(1);
    expect(answered).toBeGreaterThan(0);
  });

  it('one sync at a time: a second one while the lease is held does nothing', async () => {
    await database.pool.query(
      "UPDATE knowledge_sources SET running_since = now() WHERE id = 'zendesk-guide'",
    );
    await expect(sync()).rejects.toBeInstanceOf(GuideSyncBusyError);
    expect(fake.requests).toHaveLength(0);
    await database.pool.query("UPDATE knowledge_sources SET running_since = NULL WHERE id = 'zendesk-guide'");
  });
});

afterEach(() => {
  fake.helpCenter.exportPageSize = 2;
});
