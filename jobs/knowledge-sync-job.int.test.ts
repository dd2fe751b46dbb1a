import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMailOptions } from '../connectors/email/inbound/receive.ts';
import type { Database } from '../db/database.ts';
import type { Embedder } from '../knowledge/embedder.ts';
import { hashedEmbedding } from '../test/fakes/openai/server.ts';
import { type FakeZendesk, startFakeZendesk } from '../test/fakes/zendesk/server.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { createBullJobs } from './bullmq-jobs.ts';
import type { JobQueue } from './catalog.ts';
import { createJobHandlers } from './handlers.ts';
import { createInProcessEventBus } from './in-process-event-bus.ts';
import { createInProcessJobs } from './in-process-jobs.ts';
import {
  type KnowledgeSourcesConfig,
  knowledgeSyncSchedule,
  scheduleKnowledgeSyncOnBull,
  zendeskGuideSyncJobId,
} from './knowledge-sync-job.ts';

const embedder: Embedder = {
  model: 'test/hash-64',
  dimensions: 64,
  embed: async (texts) => texts.map((text) => hashedEmbedding(text, 64)),
};

let database: Database;
let fake: FakeZendesk;
let stored: Map<string, string>;

/** The job runner of the embedded default, with the real handlers around the given sources. */
function runner(knowledgeSources: KnowledgeSourcesConfig) {
  let jobs: ReturnType<typeof createInProcessJobs> | null = null;
  const lateQueue: JobQueue = {
    enqueue: (type, payload, options) => jobs!.enqueue(type, payload, options),
    counts: () => jobs!.counts(),
    close: async () => {},
  };
  const handlers = createJobHandlers({
    pool: database.pool,
    switchboard: { dispatcher: { dispatchPending: async () => ({ sent: 0, retrying: 0, failed: 0 }) } },
    bus: createInProcessEventBus(),
    jobs: lateQueue,
    inboundMail: {} as InboundMailOptions,
    turns: { handleTurn: async () => {}, recoverPendingTurns: async () => [] },
    embedder,
    knowledgeSources,
    // The vault as the admin page fills it (connector `knowledge`).
    vault: { get: async (connectorId, field) => stored.get(`${connectorId}/${field}`) ?? null },
  });
  jobs = createInProcessJobs({ handlers });
  return jobs;
}

const source = async () =>
  (
    await database.pool.query(
      "SELECT last_status, last_error, last_report FROM knowledge_sources WHERE id = 'zendesk-guide'",
    )
  ).rows[0];

beforeAll(async () => {
  [database, fake] = await Promise.all([
    createTestDatabase(),
    startFakeZendesk({ now: '2026-11-20T09:00:00Z' }),
  ]);
  fake.helpCenter.addArticle({
    title: 'Reset your password',
    body: '<p>Use the link on the sign-in page.</p>',
  });
});

afterAll(async () => {
  await Promise.all([database?.close(), fake?.close()]);
});

beforeEach(() => {
  fake.requests.length = 0;
  stored = new Map([
    ['knowledge/zendesk_guide_email', fake.agent.email],
    ['knowledge/zendesk_guide_api_token', fake.agent.apiToken],
  ]);
});

describe('the knowledge.sync job', () => {
  it('syncs the configured source with the credentials stored in the vault', async () => {
    const jobs = runner({ zendeskGuide: { baseUrl: fake.url, intervalMs: 60_000 } });
    await jobs.enqueue('knowledge.sync', { source: 'zendesk-guide', reason: 'admin', requestedBy: 'hum_1' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 0 });
    const { rows } = await database.pool.query('SELECT slug, title FROM kb_articles');
    expect(rows).toEqual([{ slug: expect.stringMatching(/^zendesk-\d+$/), title: 'Reset your password' }]);
    expect(await source()).toMatchObject({ last_status: 'ok', last_error: null });
    expect((await source()).last_report.created).toHaveLength(1);
    expect(fake.requests.every((request) => request.auth === 'api_token')).toBe(true);
    await jobs.close();
  });

  it('not configured: a scheduled run does nothing, a requested one fails at once and says why', async () => {
    const jobs = runner({ zendeskGuide: null });
    await jobs.enqueue('knowledge.sync', { source: 'zendesk-guide' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 0 });
    await jobs.enqueue('knowledge.sync', { source: 'zendesk-guide', reason: 'admin' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 1 });
    expect(await source()).toMatchObject({ last_status: 'failed' });
    expect((await source()).last_error).toContain('ZENDESK_GUIDE_SUBDOMAIN');
    expect(fake.requests).toHaveLength(0);
    await jobs.close();
  });

  it('no credentials, or refused ones: fails without retrying (one request at most)', async () => {
    stored.clear();
    const jobs = runner({ zendeskGuide: { baseUrl: fake.url, intervalMs: 60_000 } });
    await jobs.enqueue('knowledge.sync', { source: 'zendesk-guide', reason: 'admin' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 1 });
    expect((await source()).last_error).toContain('zendesk_guide_api_token');
    expect(fake.requests).toHaveLength(0);

    stored.set('knowledge/zendesk_guide_email', fake.agent.email);
    stored.set('knowledge/zendesk_guide_api_token', 'revoked');
    await jobs.enqueue('knowledge.sync', { source: 'zendesk-guide', reason: 'admin' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 2 });
    expect(fake.requests).toHaveLength(1);
    expect((await source()).last_error).toContain('Zendesk refused the credentials');
    await jobs.close();
  });

  it('environment credentials win over the vault', async () => {
    stored.set('knowledge/zendesk_guide_api_token', 'stale');
    const jobs = runner({
      zendeskGuide: {
        baseUrl: fake.url,
        intervalMs: 60_000,
        email: fake.agent.email,
        oauthToken: fake.agent.oauthToken,
      },
    });
    await jobs.enqueue('knowledge.sync', { source: 'zendesk-guide', reason: 'admin' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 0 });
    expect(fake.requests.every((request) => request.auth === 'oauth')).toBe(true);
    await jobs.close();
  });

  it('is scheduled only while the source is configured: in process, and on BullMQ (removed otherwise)', async () => {
    expect(knowledgeSyncSchedule({ zendeskGuide: null })).toBeNull();
    expect(knowledgeSyncSchedule({})).toBeNull();
    const schedule = knowledgeSyncSchedule({ zendeskGuide: { subdomain: 'acme', intervalMs: 900_000 } })!;
    expect(schedule.everyMs).toBe(900_000);
    const enqueued: unknown[] = [];
    const queue = { enqueue: async (...args: unknown[]) => void enqueued.push(args) } as unknown as JobQueue;
    await schedule.enqueue(queue);
    expect(enqueued).toEqual([
      ['knowledge.sync', { source: 'zendesk-guide', reason: 'schedule' }, { jobId: zendeskGuideSyncJobId }],
    ]);

    const calls: unknown[] = [];
    const bull = {
      repeat: async (...args: unknown[]) => void calls.push(['repeat', ...args]),
      unrepeat: async (...args: unknown[]) => void calls.push(['unrepeat', ...args]),
    };
    expect(
      await scheduleKnowledgeSyncOnBull(bull, { zendeskGuide: { subdomain: 'acme', intervalMs: 900_000 } }),
    ).toBe(true);
    expect(await scheduleKnowledgeSyncOnBull(bull, { zendeskGuide: null })).toBe(false);
    expect(calls).toEqual([
      [
        'repeat',
        'knowledge.sync',
        { source: 'zendesk-guide', reason: 'schedule' },
        { everyMs: 900_000, id: zendeskGuideSyncJobId },
      ],
      ['unrepeat', 'knowledge.sync', zendeskGuideSyncJobId],
    ]);
  });

  it('on Redis: one job scheduler at the configured interval, removed once the source is not configured', async () => {
    const url = 'redis://127.0.0.1:6379';
    const prefix = `sb-test-${randomBytes(4).toString('hex')}`;
    const bull = createBullJobs({ url, prefix });
    const queue = new Queue('knowledge.sync', { connection: { url }, prefix });
    try {
      await scheduleKnowledgeSyncOnBull(bull, { zendeskGuide: { subdomain: 'acme', intervalMs: 900_000 } });
      // A second worker starting does not add a second scheduler.
      await scheduleKnowledgeSyncOnBull(bull, { zendeskGuide: { subdomain: 'acme', intervalMs: 900_000 } });
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers).toHaveLength(1);
      expect(schedulers[0]).toMatchObject({ key: zendeskGuideSyncJobId, every: 900_000 });
      await scheduleKnowledgeSyncOnBull(bull, { zendeskGuide: null });
      expect(await queue.getJobSchedulers()).toEqual([]);
    } finally {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await bull.close();
    }
  });
});
