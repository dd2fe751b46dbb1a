import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMailOptions } from '../connectors/email/inbound/receive.ts';
import { type GoogleConnection, staticGoogleConnection } from '../connectors/google/connection.ts';
import type { Database } from '../db/database.ts';
import type { Embedder } from '../knowledge/embedder.ts';
import { driveSlug, saveDriveSettings } from '../knowledge/sources/google-drive/index.ts';
import {
  type FakeGoogleDrive,
  googleDocMimeType,
  startFakeGoogleDrive,
} from '../test/fakes/google-drive/server.ts';
import { createGoogleTokenBook } from '../test/fakes/google-oauth/token-book.ts';
import { hashedEmbedding } from '../test/fakes/openai/server.ts';
import { createTestDatabase } from '../test/support/database.ts';
import type { JobQueue } from './catalog.ts';
import { createJobHandlers } from './handlers.ts';
import { createInProcessEventBus } from './in-process-event-bus.ts';
import { createInProcessJobs } from './in-process-jobs.ts';
import { googleDriveSyncJobId, googleDriveSyncTick, googleDriveTickMs } from './knowledge-sync-job.ts';

const embedder: Embedder = {
  model: 'test/hash-64',
  dimensions: 64,
  embed: async (texts) => texts.map((text) => hashedEmbedding(text, 64)),
};
const book = createGoogleTokenBook();
const token = book.issue({
  scopes: ['https://www.googleapis.com/auth/drive.readonly'],
  subject: 'kb@acme.com',
});
let database: Database;
let fake: FakeGoogleDrive;

/** The in-process job runner with the real handlers, reading Drive through `google`. */
function runner(google: GoogleConnection | undefined) {
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
    ...(google ? { google } : {}),
  });
  jobs = createInProcessJobs({ handlers });
  return jobs;
}

const source = async () =>
  (
    await database.pool.query(
      "SELECT last_status, last_error, last_report, last_started_at FROM knowledge_sources WHERE id = 'google-drive'",
    )
  ).rows[0];

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeGoogleDrive({ tokens: book })]);
  fake.addFolder('Help', 'root-folder', 'drive-help-folder');
});
afterAll(async () => {
  await Promise.all([database?.close(), fake?.close()]);
});

describe('the knowledge.sync job for Google Drive', () => {
  const connection = () => staticGoogleConnection({ rootUrl: fake.url, accessToken: token.token });

  it('not set up: a scheduled tick does nothing, a requested run fails at once and says why', async () => {
    const jobs = runner(connection());
    await jobs.enqueue('knowledge.sync', { source: 'google-drive' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 0 });
    expect(await source()).toBeUndefined();
    await jobs.enqueue('knowledge.sync', { source: 'google-drive', reason: 'admin' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 1 });
    expect(await source()).toMatchObject({
      last_status: 'failed',
      last_error: expect.stringContaining('folder'),
    });
    expect(fake.requests).toHaveLength(0);
    await jobs.close();
  });

  it('without a Google connection granting Drive: fails without retrying', async () => {
    await saveDriveSettings(database.pool, { folderId: 'drive-help-folder', domain: 'acme.com' });
    const jobs = runner(
      staticGoogleConnection({ rootUrl: fake.url, accessToken: token.token, features: ['calendar'] }),
    );
    await jobs.enqueue('knowledge.sync', { source: 'google-drive', reason: 'admin' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 1 });
    expect((await source()).last_error).toContain('Google is not connected with Drive access');
    expect(fake.requests).toHaveLength(0);
    await jobs.close();
  });

  it('syncs on demand; the scheduled tick runs only once the interval has passed', async () => {
    const doc = fake.addFile({
      name: 'Change your plan',
      mimeType: googleDocMimeType,
      parents: ['drive-help-folder'],
      content: '<p>Open Billing and pick another plan.</p>',
      permissions: [{ type: 'anyone', role: 'reader' }],
    });
    const jobs = runner(connection());
    await jobs.enqueue('knowledge.sync', { source: 'google-drive', reason: 'admin', requestedBy: 'hum_1' });
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 0 });
    expect(await source()).toMatchObject({ last_status: 'ok', last_error: null });
    expect((await source()).last_report).toMatchObject({ mode: 'full', created: [driveSlug(doc.id)] });

    // Just ran: the tick (every 5 minutes) leaves it until intervalMinutes (60) have passed.
    fake.requests.length = 0;
    const tick = googleDriveSyncTick();
    expect(tick.everyMs).toBe(googleDriveTickMs);
    await tick.enqueue(jobs);
    await jobs.drain();
    expect(fake.requests).toHaveLength(0);
    await database.pool.query(
      "UPDATE knowledge_sources SET last_started_at = now() - interval '61 minutes' WHERE id = 'google-drive'",
    );
    await tick.enqueue(jobs);
    await jobs.drain();
    expect(fake.requests.map((request) => request.operation)).toEqual(['changes.list']);
    expect((await source()).last_report).toMatchObject({ mode: 'incremental', unchanged: 0, created: [] });
    await jobs.close();
  });

  it('a refused grant fails the run without retrying; the index stays', async () => {
    const jobs = runner(connection());
    fake.failNext(403, { reason: 'insufficientPermissions', operation: 'changes.list' });
    await jobs.enqueue(
      'knowledge.sync',
      { source: 'google-drive', reason: 'admin' },
      { jobId: googleDriveSyncJobId },
    );
    await jobs.drain();
    expect(await jobs.counts()).toMatchObject({ failed: 1 });
    expect((await source()).last_error).toContain('insufficientPermissions');
    const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM kb_articles');
    expect(rows[0].n).toBe(1);
    await jobs.close();
  });
});
