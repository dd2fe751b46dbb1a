import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleTokenBook } from '../google-oauth/token-book.ts';
import { type FakeGmail, startFakeGmail } from './server.ts';

const tokens = createGoogleTokenBook();
const account = 'support@lumen.example';
const modify = tokens.issue({ scopes: ['https://www.googleapis.com/auth/gmail.modify'], subject: account });
const sendOnly = tokens.issue({ scopes: ['https://www.googleapis.com/auth/gmail.send'], subject: account });

let fake: FakeGmail;
beforeAll(async () => {
  fake = await startFakeGmail({ tokens, account, pageSize: 2 });
});
afterAll(async () => fake?.close());

const call = async (
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null } = {},
) => {
  const token = options.token === undefined ? modify.token : options.token;
  const response = await fetch(new URL(`gmail/v1/users/me/${path}`, fake.url), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
};

const mail = (messageId: string, subject: string, extra: string[] = []) =>
  [
    'From: Maya <maya@brightpath.io>',
    `To: ${account}`,
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    ...extra,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: multipart/alternative; boundary="inner"',
    '',
    '--inner',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=C3=BC=C3=9Fe, please send INV-1001.',
    '--inner',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Grüße</p>',
    '--inner--',
    '--outer',
    'Content-Type: application/pdf; name="scan.pdf"',
    'Content-Disposition: attachment; filename="scan.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4 fake').toString('base64'),
    '--outer--',
    '',
  ].join('\r\n');

describe('fake Gmail', () => {
  it('checks the bearer token and the method’s scopes through the token book', async () => {
    expect((await call('GET', 'profile', { token: null })).status).toBe(401);
    expect((await call('GET', 'profile', { token: 'ya29.unknown' })).body.error.errors[0].reason).toBe(
      'authError',
    );
    const denied = await call('GET', 'messages', { token: sendOnly.token });
    expect(denied.status).toBe(403);
    expect(denied.body.error.errors[0].reason).toBe('insufficientPermissions');
    expect((await call('GET', 'profile')).body).toMatchObject({
      emailAddress: account,
      historyId: expect.stringMatching(/^\d+$/),
    });
  });

  it('shows a delivered mail as Gmail does: MIME parts, base64url bodies, attachments by id', async () => {
    const start = (await call('GET', 'profile')).body.historyId;
    const placed = fake.deliver(mail('<a1@brightpath.io>', 'Invoice'));
    const full = (await call('GET', `messages/${placed.id}?format=full`)).body;
    expect(full.labelIds).toEqual(['INBOX', 'UNREAD']);
    expect(full.payload.mimeType).toBe('multipart/mixed');
    const [alternative, pdf] = full.payload.parts;
    expect(alternative.partId).toBe('0');
    expect(alternative.parts[0]).toMatchObject({ partId: '0.0', mimeType: 'text/plain' });
    expect(Buffer.from(alternative.parts[0].body.data, 'base64url').toString('utf8')).toBe(
      'Grüße, please send INV-1001.',
    );
    expect(alternative.parts[0].body.data).not.toMatch(/[+/=]/);
    expect(pdf).toMatchObject({ filename: 'scan.pdf', mimeType: 'application/pdf', body: { size: 13 } });
    const attachment = (await call('GET', `messages/${placed.id}/attachments/${pdf.body.attachmentId}`)).body;
    expect(Buffer.from(attachment.data, 'base64url').toString()).toBe('%PDF-1.4 fake');
    const raw = (await call('GET', `messages/${placed.id}?format=raw`)).body.raw;
    expect(Buffer.from(raw, 'base64url').toString('utf8')).toContain('Message-ID: <a1@brightpath.io>');
    const metadata = (await call('GET', `messages/${placed.id}?format=metadata&metadataHeaders=Subject`))
      .body;
    expect(metadata.payload.headers).toEqual([{ name: 'Subject', value: 'Invoice' }]);

    const history = (await call('GET', `history?startHistoryId=${start}&historyTypes=messageAdded`)).body;
    expect(history.history[0].messagesAdded[0].message).toMatchObject({
      id: placed.id,
      labelIds: ['INBOX', 'UNREAD'],
    });
  });

  it('pages history and answers 404 for a history id it no longer keeps', async () => {
    const start = fake.historyId();
    for (let index = 0; index < 3; index++) fake.deliver(mail(`<p${index}@brightpath.io>`, `Page ${index}`));
    const first = (await call('GET', `history?startHistoryId=${start}`)).body;
    expect(first.history).toHaveLength(2);
    const second = (await call('GET', `history?startHistoryId=${start}&pageToken=${first.nextPageToken}`))
      .body;
    expect(second.history).toHaveLength(1);
    expect(second.nextPageToken).toBeUndefined();
    fake.expireHistory();
    expect((await call('GET', `history?startHistoryId=${start}`)).status).toBe(404);
  });

  it('threads a send only with threadId, a reference to the thread and the same subject', async () => {
    const placed = fake.deliver(mail('<t1@brightpath.io>', 'Refund'));
    const reply = (subject: string, inReplyTo: string) =>
      Buffer.from(
        [
          `From: ${account}`,
          'To: maya@brightpath.io',
          `Subject: ${subject}`,
          `In-Reply-To: ${inReplyTo}`,
          `References: ${inReplyTo}`,
          '',
          'Done.',
        ].join('\r\n'),
      ).toString('base64url');
    const good = await call('POST', 'messages/send', {
      body: { raw: reply('Re: Refund', '<t1@brightpath.io>'), threadId: placed.threadId },
    });
    expect(good.body).toMatchObject({ threadId: placed.threadId, labelIds: ['SENT'] });
    const otherSubject = await call('POST', 'messages/send', {
      body: { raw: reply('Something else', '<t1@brightpath.io>'), threadId: placed.threadId },
    });
    expect(otherSubject.body.threadId).not.toBe(placed.threadId);
    expect(fake.threadingMisses.at(-1)).toMatchObject({ reason: 'subject differs' });
    // gmail.send may send, not read.
    const sent = await call('POST', 'messages/send', {
      token: sendOnly.token,
      body: { raw: reply('Re: Refund', '<t1@brightpath.io>') },
    });
    expect(sent.status).toBe(200);
    expect((await call('POST', 'messages/send', { body: { raw: '' } })).status).toBe(400);
    const found = (
      await call('GET', `messages?q=${encodeURIComponent('in:sent rfc822msgid:<t1@brightpath.io>')}`)
    ).body;
    expect(found.messages).toBeUndefined();
  });

  it('creates labels once and labels messages (recorded as labelAdded history)', async () => {
    const created = await call('POST', 'labels', { body: { name: 'Switchboard/Answered' } });
    expect(created.status).toBe(200);
    expect((await call('POST', 'labels', { body: { name: 'Switchboard/Answered' } })).status).toBe(409);
    const placed = fake.deliver(mail('<l1@brightpath.io>', 'Label me'));
    const start = fake.historyId();
    await call('POST', `messages/${placed.id}/modify`, { body: { addLabelIds: [created.body.id] } });
    const history = (await call('GET', `history?startHistoryId=${start}&historyTypes=labelAdded`)).body;
    expect(history.history[0].labelsAdded[0].labelIds).toEqual([created.body.id]);
    expect(
      (await call('POST', `messages/${placed.id}/modify`, { body: { addLabelIds: ['Label_nope'] } })).status,
    ).toBe(400);
  });

  it('fails on demand: 429 with Retry-After, 5xx, a lost answer after applying', async () => {
    fake.failNext(429, { operation: 'getProfile' });
    const limited = await call('GET', 'profile');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    fake.failNext(503);
    expect((await call('GET', 'profile')).status).toBe(503);
    const before = fake.sent().length;
    fake.failNext('lost', { operation: 'messages.send', afterApplying: true });
    const raw = Buffer.from(
      `From: ${account}\r\nTo: a@b.example\r\nSubject: x\r\nMessage-ID: <lost-1@lumen.example>\r\n\r\nx`,
    ).toString('base64url');
    await expect(call('POST', 'messages/send', { body: { raw } })).rejects.toThrow();
    expect(fake.sent().length).toBe(before + 1);
    const search = (
      await call('GET', `messages?q=${encodeURIComponent('in:sent rfc822msgid:<lost-1@lumen.example>')}`)
    ).body;
    expect(search.messages).toHaveLength(1);
  });
});
