import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../connectors/core/errors.ts';
import { staticGoogleConnection } from '../../../connectors/google/connection.ts';
import type { Database } from '../../../db/database.ts';
import { minimalPdf } from '../../../test/fakes/google-drive/pdf.ts';
import {
  type FakeGoogleDrive,
  googleDocMimeType,
  startFakeGoogleDrive,
} from '../../../test/fakes/google-drive/server.ts';
import { createGoogleTokenBook } from '../../../test/fakes/google-oauth/token-book.ts';
import { hashedEmbedding } from '../../../test/fakes/openai/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import type { Embedder } from '../../embedder.ts';
import { createIngester } from '../../ingest.ts';
import { createKnowledgeSearch } from '../../search.ts';
import { createDriveClient } from './client.ts';
import { type DriveSettings, driveSettingsSchema, saveDriveSettings } from './settings.ts';
import { DriveSyncBusyError, type DriveSyncOptions, driveSlug, syncGoogleDrive } from './sync.ts';

/** A deterministic bag-of-words embedder that counts what it embeds. */
let embedded = 0;
const embedder: Embedder = {
  model: 'test/hash-64',
  dimensions: 64,
  embed: async (texts) => {
    embedded += texts.length;
    return texts.map((text) => hashedEmbedding(text, 64));
  },
};

const book = createGoogleTokenBook();
const token = book.issue({
  scopes: ['https://www.googleapis.com/auth/drive.readonly'],
  subject: 'kb@acme.com',
});
let database: Database;
let fake: FakeGoogleDrive;
let connection: ReturnType<typeof staticGoogleConnection>;
const waits: number[] = [];
const settings: DriveSettings = driveSettingsSchema.parse({
  folderId: 'help-center-folder',
  domain: 'acme.com',
  domainVisibility: 'internal',
});
const anyone = [{ type: 'anyone' as const, role: 'reader' as const }];
const company = [{ type: 'domain' as const, role: 'reader' as const, domain: 'acme.com' }];

const sync = (options: Partial<DriveSyncOptions> = {}) =>
  syncGoogleDrive({
    pool: database.pool,
    ingester: createIngester({ embedder }),
    client: createDriveClient({ connection }),
    settings,
    pageSize: 2,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });

const article = async (fileId: string) =>
  (
    await database.pool.query<{
      slug: string;
      title: string;
      url: string;
      visibility: string;
      body: string;
      tags: string[];
    }>('SELECT slug, title, url, visibility, body, tags FROM kb_articles WHERE slug = $1', [
      driveSlug(fileId),
    ])
  ).rows[0];
const sourceRow = async () =>
  (
    await database.pool.query<{
      cursor_token: string | null;
      last_status: string | null;
      last_error: string | null;
    }>("SELECT cursor_token, last_status, last_error FROM knowledge_sources WHERE id = 'google-drive'")
  ).rows[0]!;
const search = (query: string, audience: 'public' | 'internal') =>
  createKnowledgeSearch({ db: database.pool, embedder })
    .search(query, { audience })
    .then((hits) => hits.map((hit) => hit.article_slug));
const contentRequests = () =>
  fake.requests.filter(
    (request) => request.operation === 'files.export' || request.operation === 'files.media',
  );

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeGoogleDrive({ tokens: book })]);
  connection = staticGoogleConnection({ rootUrl: fake.url, accessToken: token.token, features: ['drive'] });
  await saveDriveSettings(database.pool, settings);
});

afterAll(async () => {
  await Promise.all([database?.close(), fake?.close()]);
});

beforeEach(() => {
  waits.length = 0;
  fake.requests.length = 0;
  embedded = 0;
});

describe(`Google Drive sync over HTTP against the fake, on ${testDatabaseKind()}`, () => {
  const ids: Record<string, string> = {};

  it('first sync: lists the folder tree page by page and indexes Docs, Markdown and PDFs', async () => {
    fake.addFolder('Help center', 'root-folder', settings.folderId);
    ids.refunds = fake.addFile({
      name: 'How refunds work',
      mimeType: googleDocMimeType,
      parents: [settings.folderId],
      content:
        '<h1>How refunds work</h1><p>Refunds go back to the <b>original card</b> within ten business days.</p><ul><li>Open Billing</li><li>Pick the invoice</li></ul>',
      permissions: anyone,
    }).id;
    ids.runbook = fake.addFile({
      name: 'runbook-outage.md',
      mimeType: 'text/markdown',
      parents: [settings.folderId],
      content:
        '---\ntitle: Outage runbook\ntags: [oncall, outage]\n---\nPage the on-call engineer, then post on the status page.',
      permissions: company,
    }).id;
    ids.pdf = fake.addFile({
      name: 'Warranty terms.pdf',
      mimeType: 'application/pdf',
      parents: [settings.folderId],
      content: minimalPdf([
        ['Warranty covers hinges for two years.'],
        ['Batteries are covered for one year.'],
      ]),
      permissions: anyone,
    }).id;
    ids.private = fake.addFile({
      name: 'Salaries.md',
      mimeType: 'text/markdown',
      parents: [settings.folderId],
      content: '# Salaries\nConfidential numbers.',
      permissions: [{ type: 'user', role: 'reader', emailAddress: 'ceo@acme.com' } as never],
    }).id;
    ids.image = fake.addFile({
      name: 'logo.png',
      mimeType: 'image/png',
      parents: [settings.folderId],
      content: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
      permissions: anyone,
    }).id;
    ids.other = fake.addFile({
      name: 'Elsewhere.md',
      mimeType: 'text/markdown',
      parents: ['root-folder'],
      content: '# Elsewhere\nNot in the folder.',
      permissions: anyone,
    }).id;
    ids.sub = fake.addFolder('Shipping', settings.folderId).id;
    ids.shipping = fake.addFile({
      name: 'Shipping zones',
      mimeType: googleDocMimeType,
      parents: [ids.sub],
      content: '<p>We ship to the European Union and Switzerland by courier.</p>',
      permissions: [...company, { type: 'domain', role: 'reader', domain: 'other.com' }],
    }).id;

    const report = await sync();

    expect(report).toMatchObject({
      mode: 'full',
      fullReason: 'first sync',
      errors: [],
      deleted: [],
      complete: true,
    });
    expect(report.created.sort()).toEqual(
      [ids.refunds, ids.runbook, ids.pdf, ids.shipping].map((fileId) => driveSlug(fileId!)).sort(),
    );
    expect(report.skipped.map((skip) => [skip.name, skip.reason])).toEqual(
      expect.arrayContaining([
        ['Salaries.md', 'not shared with anyone or with the company domain'],
        ['logo.png', expect.stringContaining('image/png is not read')],
      ]),
    );
    // pageSize 2: the folder's six children took three pages, the subfolder one.
    const lists = fake.requests.filter((request) => request.operation === 'files.list');
    expect(lists).toHaveLength(4);
    expect(lists.filter((request) => request.query.pageToken)).toHaveLength(2);
    expect(lists.every((request) => request.query.supportsAllDrives === 'true')).toBe(true);
    expect(await article(ids.other!)).toBeUndefined();

    const refunds = (await article(ids.refunds!))!;
    expect(refunds).toMatchObject({ title: 'How refunds work', visibility: 'public' });
    expect(refunds.url).toContain(`/document/d/${ids.refunds}/`);
    expect(refunds.body).toContain('**original card**');
    expect(refunds.body).toMatch(/- Open Billing/);
    expect(await article(ids.runbook!)).toMatchObject({
      title: 'Outage runbook',
      visibility: 'internal',
      tags: ['oncall', 'outage'],
    });
    const pdf = (await article(ids.pdf!))!;
    expect(pdf).toMatchObject({ title: 'Warranty terms', visibility: 'public' });
    expect(pdf.body).toContain('hinges for two years');
    expect(pdf.body).toContain('Batteries are covered');
    expect(await article(ids.shipping!)).toMatchObject({ visibility: 'internal' });
    expect((await sourceRow()).cursor_token).toBe(report.pageToken);

    // Through the normal retrieval: customers find public Docs, staff find internal ones too.
    expect((await search('refund original card business days', 'public'))[0]).toBe(driveSlug(ids.refunds!));
    expect(await search('page the on-call engineer status page', 'public')).not.toContain(
      driveSlug(ids.runbook!),
    );
    expect((await search('page the on-call engineer status page', 'internal'))[0]).toBe(
      driveSlug(ids.runbook!),
    );
  });

  it('an unchanged folder: incremental, nothing downloaded or embedded', async () => {
    const report = await sync();
    expect(report).toMatchObject({ mode: 'incremental', created: [], updated: [], deleted: [], errors: [] });
    expect(contentRequests()).toEqual([]);
    expect(embedded).toBe(0);
    expect(fake.requests.map((request) => request.operation)).toEqual(['changes.list']);
  });

  it('incremental edit: only the edited Doc is exported and re-indexed', async () => {
    fake.editFile(ids.refunds!, {
      content: '<h1>How refunds work</h1><p>Refunds now go back as store credit within three days.</p>',
    });
    const report = await sync();
    expect(report).toMatchObject({ mode: 'incremental', updated: [driveSlug(ids.refunds!)], created: [] });
    expect(contentRequests().map((request) => request.path)).toEqual([
      `/drive/v3/files/${ids.refunds}/export`,
    ]);
    expect(contentRequests()[0]!.query.mimeType).toBe('text/html');
    expect((await article(ids.refunds!))!.body).toContain('store credit');
    expect(embedded).toBeGreaterThan(0);
  });

  it('permission loss: a public Doc shared only with the company leaves the public index; unshared, it leaves the index', async () => {
    const slug = driveSlug(ids.refunds!);
    expect(await search('refunds store credit three days', 'public')).toContain(slug);
    fake.setPermissions(ids.refunds!, company);
    embedded = 0;
    const narrowed = await sync();
    expect(narrowed.updated).toEqual([slug]);
    expect(embedded).toBe(0);
    expect((await article(ids.refunds!))!.visibility).toBe('internal');
    expect(await search('refunds store credit three days', 'public')).not.toContain(slug);
    expect(await search('refunds store credit three days', 'internal')).toContain(slug);

    fake.setPermissions(ids.refunds!, [{ type: 'domain', role: 'reader', domain: 'other.com' }]);
    const unshared = await sync();
    expect(unshared.deleted).toEqual([slug]);
    expect(await article(ids.refunds!)).toBeUndefined();
    expect(await search('refunds store credit three days', 'internal')).not.toContain(slug);
  });

  it('deleted, trashed and moved-out files leave the index at once', async () => {
    const extra = fake.addFile({
      name: 'Returns.md',
      mimeType: 'text/markdown',
      parents: [settings.folderId],
      content: '# Returns\nReturn unused items within thirty days.',
      permissions: anyone,
    });
    expect((await sync()).created).toEqual([driveSlug(extra.id)]);
    fake.trashFile(ids.pdf!);
    fake.deleteFile(ids.runbook!);
    fake.moveFile(extra.id, ['root-folder']);
    const report = await sync();
    expect(report.deleted.sort()).toEqual([ids.pdf!, ids.runbook!, extra.id].map(driveSlug).sort());
    for (const fileId of [ids.pdf!, ids.runbook!, extra.id]) expect(await article(fileId)).toBeUndefined();
    // Back from the trash: indexed again.
    fake.trashFile(ids.pdf!, false);
    expect((await sync()).created).toEqual([driveSlug(ids.pdf!)]);
  });

  it('a 401 invalidates the token and the call is tried once more', async () => {
    fake.failNext(401, { operation: 'changes.list' });
    const report = await sync();
    expect(report.complete).toBe(true);
    expect(connection.invalidated).toContain(token.token);
    expect(
      fake.requests.filter((request) => request.operation === 'changes.list').map((r) => r.status),
    ).toEqual([401, 200]);
  });

  it('429 and 5xx outlasting the retries fail the run cleanly: old index and page token kept', async () => {
    fake.editFile(ids.shipping!, { content: '<p>We now ship worldwide by courier and by post.</p>' });
    const before = await sourceRow();
    const oldBody = (await article(ids.shipping!))!.body;

    fake.failNext(429, { operation: 'files.export', times: 3, headers: { 'retry-after': '2' } });
    await expect(sync()).rejects.toMatchObject({ kind: 'rate_limited' });
    expect(waits).toEqual([2000, 2000]);
    expect((await article(ids.shipping!))!.body).toBe(oldBody);
    expect(await sourceRow()).toMatchObject({ cursor_token: before.cursor_token, last_status: 'failed' });

    fake.failNext(503, { operation: 'changes.list', times: 3 });
    await expect(sync()).rejects.toBeInstanceOf(ConnectorError);
    expect((await sourceRow()).cursor_token).toBe(before.cursor_token);

    // A lost answer (the connection cut) is retried like a 5xx.
    fake.failNext('drop', { operation: 'files.export' });
    fake.failNext(403, { operation: 'files.export', reason: 'userRateLimitExceeded' });
    const report = await sync();
    expect(report.updated).toEqual([driveSlug(ids.shipping!)]);
    expect((await article(ids.shipping!))!.body).toContain('worldwide');
    expect((await sourceRow()).last_status).toBe('ok');
  });

  it('a Retry-After longer than the sync waits gives the run up at once', async () => {
    fake.editFile(ids.shipping!, { content: '<p>Shipping is paused for inventory.</p>' });
    fake.failNext(429, { operation: 'files.export', headers: { 'retry-after': '3600' } });
    await expect(sync()).rejects.toThrow(/longer than the 60 s a sync waits/);
    expect(waits).toEqual([]);
    expect((await sync()).updated).toEqual([driveSlug(ids.shipping!)]);
  });

  it('a refused page token: full resync, removing what left meanwhile', async () => {
    fake.editFile(ids.shipping!, { content: '<p>Shipping resumes on Monday.</p>' });
    fake.trashFile(ids.pdf!);
    fake.expireChangeTokens();
    const report = await sync();
    expect(report).toMatchObject({ mode: 'full', complete: true });
    expect(report.fullReason).toMatch(/refused the stored page token \(400 invalid\)/);
    expect(report.updated).toEqual([driveSlug(ids.shipping!)]);
    expect(report.deleted).toEqual([driveSlug(ids.pdf!)]);
    // Listed again, but only the edited file is read.
    expect(contentRequests().map((request) => request.path)).toEqual([
      `/drive/v3/files/${ids.shipping}/export`,
    ]);
    expect((await sourceRow()).cursor_token).toBe(fake.startPageToken());
  });

  it('a subfolder moved out takes its files with it (full resync)', async () => {
    fake.moveFile(ids.sub!, ['root-folder']);
    const report = await sync();
    expect(report.mode).toBe('full');
    expect(report.deleted).toEqual([driveSlug(ids.shipping!)]);
    fake.moveFile(ids.sub!, [settings.folderId]);
    expect((await sync()).created).toEqual([driveSlug(ids.shipping!)]);
  });

  it('skips with a reason: a Doc too large to export, an unreadable PDF, a PDF over the page limit', async () => {
    const big = fake.addFile({
      name: 'Huge handbook',
      mimeType: googleDocMimeType,
      parents: [settings.folderId],
      content: '<p>Everything.</p>',
      permissions: anyone,
    });
    fake.editFile(big.id, { exportSize: 12 * 1024 * 1024 });
    const broken = fake.addFile({
      name: 'Broken.pdf',
      mimeType: 'application/pdf',
      parents: [settings.folderId],
      content: Buffer.from('%PDF-1.4\nthis is not really a pdf'),
      permissions: anyone,
    });
    const long = fake.addFile({
      name: 'Long.pdf',
      mimeType: 'application/pdf',
      parents: [settings.folderId],
      content: minimalPdf([['one'], ['two'], ['three']]),
      permissions: anyone,
    });
    const report = await sync({ limits: { maxPdfPages: 2 } });
    const reasons = Object.fromEntries(report.skipped.map((skip) => [skip.name, skip.reason]));
    expect(reasons['Huge handbook']).toMatch(/too large for Drive to export/);
    expect(reasons['Broken.pdf']).toMatch(/^unreadable PDF/);
    expect(reasons['Long.pdf']).toBe('PDF has 3 pages, over the 2-page limit');
    for (const file of [big, broken, long]) expect(await article(file.id)).toBeUndefined();
    expect(report.complete).toBe(true);
  });

  it('Markdown export of Docs, and one run at a time', async () => {
    const doc = fake.addFile({
      name: 'Password reset',
      mimeType: googleDocMimeType,
      parents: [settings.folderId],
      content: '<h1>Password reset</h1><p>Use the <b>Forgot password</b> link on the sign-in page.</p>',
      permissions: anyone,
    });
    const report = await sync({ settings: { ...settings, docsExport: 'markdown' } });
    expect(report.created).toEqual([driveSlug(doc.id)]);
    expect(contentRequests().map((request) => request.query.mimeType)).toEqual(['text/markdown']);
    expect((await article(doc.id))!.body).toContain('**Forgot password**');

    await database.pool.query("UPDATE knowledge_sources SET running_since = now() WHERE id = 'google-drive'");
    await expect(sync()).rejects.toBeInstanceOf(DriveSyncBusyError);
    await database.pool.query("UPDATE knowledge_sources SET running_since = NULL WHERE id = 'google-drive'");
  });
});
