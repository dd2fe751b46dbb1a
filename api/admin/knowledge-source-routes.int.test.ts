import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeZendesk, startFakeZendesk } from '../../test/fakes/zendesk/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import type { KnowledgeSource } from '../contract/knowledge-sources.ts';

let fake: FakeZendesk;
let configured: TestApi;
let unconfigured: TestApi;

async function adminOf(api: TestApi) {
  const admin = await loginAs(api.app, api.database.pool, 'admin');
  return (options: InjectOptions) =>
    api.app.inject({
      ...options,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
    });
}

const guide = async (as: Awaited<ReturnType<typeof adminOf>>): Promise<KnowledgeSource> => {
  const response = await as({ method: 'GET', url: '/api/admin/knowledge/sources' });
  expect(response.statusCode).toBe(200);
  return (response.json().sources as KnowledgeSource[]).find((source) => source.id === 'zendesk-guide')!;
};

/** Requests a sync from /admin and waits for the job to record its outcome. */
async function syncNow(as: Awaited<ReturnType<typeof adminOf>>): Promise<KnowledgeSource> {
  const before = (await guide(as)).lastFinishedAt;
  const response = await as({ method: 'POST', url: '/api/admin/knowledge/sources/zendesk-guide/sync' });
  expect(response.statusCode).toBe(202);
  expect(response.json()).toEqual({ queued: true, source: 'zendesk-guide' });
  const deadline = Date.now() + 90_000;
  for (;;) {
    const source = await guide(as);
    if (source.lastFinishedAt && source.lastFinishedAt !== before && !source.running) return source;
    if (Date.now() > deadline) throw new Error('the sync did not finish');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  fake = await startFakeZendesk({ now: '2026-11-20T09:00:00Z' });
  fake.helpCenter.addArticle({
    title: 'Export your data',
    body: '<p>Open Settings, then Export, and choose CSV.</p>',
    label_names: ['export'],
  });
  [configured, unconfigured] = await Promise.all([
    createTestApi({
      seed: false,
      knowledgeSources: { zendeskGuide: { baseUrl: fake.url, locale: 'en-us', intervalMs: 3_600_000 } },
    }),
    createTestApi({ seed: false, knowledgeSources: { zendeskGuide: null } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([configured?.close(), unconfigured?.close(), fake?.close()]);
});

describe('/api/admin/knowledge/sources', () => {
  it('is for admins only', async () => {
    const anonymous = await configured.app.inject({ method: 'GET', url: '/api/admin/knowledge/sources' });
    expect(anonymous.statusCode).toBe(401);
    const agent = await loginAs(configured.app, configured.database.pool, 'agent');
    const asAgent = await configured.app.inject({
      method: 'POST',
      url: '/api/admin/knowledge/sources/zendesk-guide/sync',
      headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrfToken },
    });
    expect(asAgent.statusCode).toBe(403);
  });

  it('not configured: shown as such, and a sync is refused with what to set', async () => {
    const as = await adminOf(unconfigured);
    expect(await guide(as)).toMatchObject({ configured: false, host: null, articles: 0, lastStatus: null });
    const response = await as({ method: 'POST', url: '/api/admin/knowledge/sources/zendesk-guide/sync' });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.message).toContain('ZENDESK_GUIDE_SUBDOMAIN');
    const unknown = await as({ method: 'POST', url: '/api/admin/knowledge/sources/confluence/sync' });
    expect(unknown.statusCode).toBe(400);
  });

  it('without credentials the requested sync fails and the page says which to store', async () => {
    const as = await adminOf(configured);
    expect(await guide(as)).toMatchObject({
      configured: true,
      host: fake.url,
      locale: 'en-us',
      intervalMinutes: 60,
      syncedThrough: null,
    });
    const source = await syncNow(as);
    expect(source).toMatchObject({ lastStatus: 'failed', lastReport: null });
    expect(source.lastError).toContain('zendesk_guide_api_token');
  });

  it('with credentials stored from /admin: syncs on demand and reports the counts', async () => {
    const as = await adminOf(configured);
    const stored = await as({
      method: 'PUT',
      url: '/api/admin/connectors/knowledge/credentials',
      payload: { zendesk_guide_email: fake.agent.email, zendesk_guide_api_token: fake.agent.apiToken },
    });
    expect(stored.statusCode).toBe(200);

    const source = await syncNow(as);
    expect(source).toMatchObject({
      lastStatus: 'ok',
      lastError: null,
      articles: 1,
      syncedThrough: '2026-11-20T09:00:00.000Z',
      lastReport: { created: 1, updated: 0, deleted: 0, errors: [], complete: true },
    });
    const articles = await as({ method: 'GET', url: '/api/admin/knowledge/articles' });
    expect(articles.json().articles).toEqual([
      expect.objectContaining({ title: 'Export your data', visibility: 'public', tags: ['export'] }),
    ]);

    // Archived in Zendesk: the next sync removes it and says so.
    fake.helpCenter.archiveArticle([...fake.helpCenter.articles.keys()][0]!);
    expect(await syncNow(as)).toMatchObject({ lastStatus: 'ok', articles: 0, lastReport: { deleted: 1 } });
  });

  it('a failed sync shows its error; the cursor is kept for the next one', async () => {
    const as = await adminOf(configured);
    fake.clock.now += 60_000;
    fake.helpCenter.addArticle({ title: 'Invite a teammate', body: '<p>Open Team and press Invite.</p>' });
    fake.failNext('malformed', { operation: 'help_center.incremental_articles' });
    const failed = await syncNow(as);
    expect(failed).toMatchObject({ lastStatus: 'failed', syncedThrough: '2026-11-20T09:00:00.000Z' });
    expect(failed.lastError).toContain('unreadable response from Zendesk help_center.incremental_articles');
    expect(await syncNow(as)).toMatchObject({ lastStatus: 'ok', articles: 1, lastReport: { created: 1 } });
  });
});
