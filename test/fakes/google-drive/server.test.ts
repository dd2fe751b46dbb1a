import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleTokenBook } from '../google-oauth/token-book.ts';
import { type FakeGoogleDrive, folderMimeType, googleDocMimeType, startFakeGoogleDrive } from './server.ts';

const book = createGoogleTokenBook();
const readonly = book.issue({
  scopes: ['https://www.googleapis.com/auth/drive.readonly'],
  subject: 'kb@acme.com',
});
const metadataOnly = book.issue({
  scopes: ['https://www.googleapis.com/auth/drive.metadata.readonly'],
  subject: 'kb@acme.com',
});
const gmailOnly = book.issue({
  scopes: ['https://www.googleapis.com/auth/gmail.send'],
  subject: 'kb@acme.com',
});
let fake: FakeGoogleDrive;

beforeAll(async () => {
  fake = await startFakeGoogleDrive({ tokens: book });
});
afterAll(async () => {
  await fake?.close();
});

const get = async (path: string, token: string | null = readonly.token) => {
  const response = await fetch(new URL(path, fake.url), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: body as Record<string, any> };
};

describe('fake Google Drive v3', () => {
  it('checks the bearer token and scopes through the token book', async () => {
    expect(await get('/drive/v3/files', null)).toMatchObject({
      status: 401,
      body: { error: { code: 401, errors: [{ reason: 'required' }] } },
    });
    expect((await get('/drive/v3/files', 'ya29.unknown')).body.error.errors[0].reason).toBe('authError');
    expect((await get('/drive/v3/files', gmailOnly.token)).body.error.errors[0].reason).toBe(
      'insufficientPermissions',
    );
    // Metadata scopes list files but cannot read content.
    expect((await get('/drive/v3/files', metadataOnly.token)).status).toBe(200);
  });

  it('lists a folder with q, fields masks and page tokens', async () => {
    const folder = fake.addFolder('Help', 'root-folder', 'help-folder-1');
    for (let index = 0; index < 5; index++)
      fake.addFile({
        name: `a${index}.md`,
        mimeType: 'text/markdown',
        parents: [folder.id],
        content: `# A${index}`,
      });
    const trashed = fake.addFile({
      name: 'old.md',
      mimeType: 'text/markdown',
      parents: [folder.id],
      content: 'x',
    });
    fake.trashFile(trashed.id);
    const q = encodeURIComponent(`'${folder.id}' in parents and trashed = false`);
    const first = await get(
      `/drive/v3/files?q=${q}&pageSize=3&fields=nextPageToken,files(id,name,md5Checksum)`,
    );
    expect(first.status).toBe(200);
    expect(first.body.files).toHaveLength(3);
    expect(Object.keys(first.body.files[0]).sort()).toEqual(['id', 'md5Checksum', 'name']);
    expect(first.body.kind).toBeUndefined();
    const second = await get(
      `/drive/v3/files?q=${q}&pageSize=3&pageToken=${first.body.nextPageToken}&fields=*`,
    );
    expect(second.body.files.map((file: { name: string }) => file.name)).toEqual(['a3.md', 'a4.md']);
    expect(second.body.nextPageToken).toBeUndefined();
    expect(
      (await get(`/drive/v3/files?q=${encodeURIComponent('name contains "x"')}`)).body.error.errors[0],
    ).toMatchObject({ reason: 'invalid', location: 'q' });
    expect((await get(`/drive/v3/files?pageSize=1001`)).status).toBe(400);
    expect((await get(`/drive/v3/files?q=${q}&pageToken=bogus`)).status).toBe(400);
  });

  it('downloads files with alt=media, exports Docs, refuses the wrong one of each', async () => {
    const doc = fake.addFile({
      name: 'Runbook',
      mimeType: googleDocMimeType,
      parents: ['root-folder'],
      content: '<h1>Runbook</h1><p>Restart the <b>worker</b>.</p>',
    });
    const md = fake.addFile({
      name: 'faq.md',
      mimeType: 'text/markdown',
      parents: ['root-folder'],
      content: '# FAQ',
    });
    expect((await get(`/drive/v3/files/${md.id}?alt=media`)).body).toBe('# FAQ');
    expect((await get(`/drive/v3/files/${md.id}?alt=media`, metadataOnly.token)).status).toBe(403);
    const media = await get(`/drive/v3/files/${doc.id}?alt=media`);
    expect(media).toMatchObject({
      status: 403,
      body: { error: { errors: [{ reason: 'fileNotDownloadable' }] } },
    });
    const html = await get(`/drive/v3/files/${doc.id}/export?mimeType=text/html`);
    expect(html.status).toBe(200);
    expect(html.body).toContain('<p>Restart the <b>worker</b>.</p>');
    expect((await get(`/drive/v3/files/${doc.id}/export?mimeType=text/markdown`)).body).toContain(
      '# Runbook',
    );
    expect(
      (await get(`/drive/v3/files/${md.id}/export?mimeType=text/html`)).body.error.errors[0].reason,
    ).toBe('fileNotExportable');
    fake.editFile(doc.id, { exportSize: 11 * 1024 * 1024 });
    expect((await get(`/drive/v3/files/${doc.id}/export?mimeType=text/html`)).body).toMatchObject({
      error: { code: 403, errors: [{ reason: 'exportSizeLimitExceeded' }] },
    });
    expect((await get('/drive/v3/files/nope')).status).toBe(404);
  });

  it('lists permissions and reports every change through the changes feed', async () => {
    const start = (await get('/drive/v3/changes/startPageToken')).body.startPageToken as string;
    const file = fake.addFile({
      name: 'Public.md',
      mimeType: 'text/markdown',
      parents: ['root-folder'],
      content: '# P',
      permissions: [{ type: 'anyone', role: 'reader' }],
    });
    const gone = fake.addFile({
      name: 'Gone.md',
      mimeType: 'text/markdown',
      parents: ['root-folder'],
      content: '# G',
    });
    fake.setPermissions(file.id, [{ type: 'domain', role: 'reader', domain: 'acme.com' }]);
    fake.deleteFile(gone.id);
    const permissions = await get(`/drive/v3/files/${file.id}/permissions?fields=permissions(type,domain)`);
    expect(permissions.body).toEqual({ permissions: [{ type: 'domain', domain: 'acme.com' }] });

    const fields =
      'nextPageToken,newStartPageToken,changes(fileId,removed,file(id,trashed,permissions(type)))';
    const page = await get(`/drive/v3/changes?pageToken=${start}&pageSize=1&fields=${fields}`);
    expect(page.body.changes).toEqual([
      {
        fileId: file.id,
        removed: false,
        file: { id: file.id, trashed: false, permissions: [{ type: 'domain' }] },
      },
    ]);
    expect(page.body.newStartPageToken).toBeUndefined();
    const last = await get(`/drive/v3/changes?pageToken=${page.body.nextPageToken}&fields=${fields}`);
    expect(last.body.changes).toEqual([{ fileId: gone.id, removed: true }]);
    expect(last.body.newStartPageToken).toBe(fake.startPageToken());
    expect(
      (await get(`/drive/v3/changes?pageToken=${start}&includeRemoved=false&fields=${fields}`)).body.changes,
    ).toHaveLength(1);

    fake.expireChangeTokens();
    expect((await get(`/drive/v3/changes?pageToken=${start}`)).body.error.errors[0]).toMatchObject({
      reason: 'invalid',
      location: 'pageToken',
    });
    expect((await get('/drive/v3/changes')).status).toBe(400);
  });

  it('injects 403 rate limits with Retry-After, 429, 5xx and dropped answers', async () => {
    fake.failNext(403, { headers: { 'retry-after': '7' } });
    const limited = await get('/drive/v3/changes/startPageToken');
    expect(limited.status).toBe(403);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body.error.errors[0]).toMatchObject({
      domain: 'usageLimits',
      reason: 'userRateLimitExceeded',
    });
    fake.failNext(429);
    expect((await get('/drive/v3/changes/startPageToken')).body.error.errors[0].reason).toBe(
      'rateLimitExceeded',
    );
    fake.failNext(503, { operation: 'files.list' });
    expect((await get('/drive/v3/changes/startPageToken')).status).toBe(200);
    expect((await get('/drive/v3/files')).status).toBe(503);
    fake.failNext('drop');
    await expect(get('/drive/v3/files')).rejects.toThrow();
    expect(fake.files.get('root-folder')?.mimeType).toBe(folderMimeType);
  });
});
