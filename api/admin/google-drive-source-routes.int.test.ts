import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import type { KnowledgeSource } from '../contract/knowledge-sources.ts';

let api: TestApi;

async function adminOf() {
  const admin = await loginAs(api.app, api.database.pool, 'admin');
  return (options: InjectOptions) =>
    api.app.inject({
      ...options,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
    });
}

const drive = async (as: Awaited<ReturnType<typeof adminOf>>): Promise<KnowledgeSource> => {
  const response = await as({ method: 'GET', url: '/api/admin/knowledge/sources' });
  expect(response.statusCode).toBe(200);
  return (response.json().sources as KnowledgeSource[]).find((source) => source.id === 'google-drive')!;
};

beforeAll(async () => {
  api = await createTestApi({ seed: false });
}, 120_000);

afterAll(async () => {
  await api?.close();
});

describe('the Google Drive source on /api/admin/knowledge/sources', () => {
  it('is listed, not set up; a sync is refused until a folder is saved', async () => {
    const as = await adminOf();
    expect(await drive(as)).toMatchObject({
      name: 'Google Drive folder',
      configured: false,
      drive: null,
      articles: 0,
      lastStatus: null,
    });
    const refused = await as({ method: 'POST', url: '/api/admin/knowledge/sources/google-drive/sync' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain('save its folder');
  });

  it('settings are validated, stored, audited and shown; agents may not change them', async () => {
    const as = await adminOf();
    const bad = await as({
      method: 'PUT',
      url: '/api/admin/knowledge/sources/google-drive/settings',
      payload: { folderId: 'has spaces in it', domain: 'acme.com' },
    });
    expect(bad.statusCode).toBe(400);
    const badDomain = await as({
      method: 'PUT',
      url: '/api/admin/knowledge/sources/google-drive/settings',
      payload: { folderId: '1AbC-dEf_GhI', domain: 'not a domain' },
    });
    expect(badDomain.statusCode).toBe(400);
    expect(badDomain.json().error.message).toContain('domain');

    const saved = await as({
      method: 'PUT',
      url: '/api/admin/knowledge/sources/google-drive/settings',
      payload: { folderId: '1AbC-dEf_GhI', domain: 'ACME.com', domainVisibility: 'public' },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().source).toMatchObject({
      configured: true,
      intervalMinutes: 60,
      drive: {
        folderId: '1AbC-dEf_GhI',
        domain: 'acme.com',
        domainVisibility: 'public',
        docsExport: 'html',
        intervalMinutes: 60,
      },
    });
    expect((await drive(as)).host).toBe('drive.google.com/drive/folders/1AbC-dEf_GhI');
    const { rows } = await api.database.pool.query(
      "SELECT operation, connector_id FROM audit_log WHERE operation = 'admin.set_google_drive_source'",
    );
    expect(rows).toEqual([{ operation: 'admin.set_google_drive_source', connector_id: 'knowledge' }]);

    const agent = await loginAs(api.app, api.database.pool, 'agent');
    const asAgent = await api.app.inject({
      method: 'PUT',
      url: '/api/admin/knowledge/sources/google-drive/settings',
      headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrfToken },
      payload: { folderId: 'another-folder' },
    });
    expect(asAgent.statusCode).toBe(403);
  });

  it('"Sync now" queues the job; without Google connected the page says so', async () => {
    const as = await adminOf();
    const response = await as({ method: 'POST', url: '/api/admin/knowledge/sources/google-drive/sync' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ queued: true, source: 'google-drive' });
    const deadline = Date.now() + 60_000;
    let source = await drive(as);
    while (source.lastStatus === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      source = await drive(as);
    }
    expect(source).toMatchObject({ lastStatus: 'failed', lastReport: null });
    expect(source.lastError).toContain('Google is not connected with Drive access');
  });
});
