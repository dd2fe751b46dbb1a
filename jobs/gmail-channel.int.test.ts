import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../connectors/core/errors.ts';
import { googleFeatureScopes, staticGoogleConnection } from '../connectors/google/connection.ts';
import { createGmailChannel, type GmailChannel } from '../connectors/google/gmail/channel.ts';
import { createGmailClient } from '../connectors/google/gmail/client.ts';
import { demoCustomers } from '../db/world/demo-world.ts';
import { type FakeGmail, startFakeGmail } from '../test/fakes/gmail/server.ts';
import { createGoogleTokenBook } from '../test/fakes/google-oauth/token-book.ts';
import { createTestApi, type TestApi } from '../test/support/api-harness.ts';
import { testDatabaseKind } from '../test/support/database.ts';
import { mailDomainOf, plainMail } from '../test/support/mail-channel.ts';
import { runGmailSyncJob } from './gmail-sync-job.ts';

/**
 * The Gmail channel end to end: mail placed in a fake Gmail inbox (Gmail API v1 as documented,
 * tokens from the shared token book) becomes a conversation through the same inbound pipeline as
 * SMTP mail (DKIM/DMARC against a stub DNS, threading, loop detection), the agent answers, and the
 * reply goes back through the outbox into the same Gmail thread — once, however many passes see it.
 */
const maya = demoCustomers.duplicateCharge;
const mail = mailDomainOf(maya.email);
const support = 'support@lumen.example';
const audience = 'https://switchboard.test/api/webhooks/gmail';
const pushAccount = 'gmail-push@switchboard-test.iam.gserviceaccount.com';

let api: TestApi;
let fake: FakeGmail;
let channel: GmailChannel;
let connection: ReturnType<typeof staticGoogleConnection>;
const tokens = createGoogleTokenBook();

beforeAll(async () => {
  const token = tokens.issue({ scopes: googleFeatureScopes.gmail_channel, subject: support });
  fake = await startFakeGmail({ tokens, account: support });
  connection = staticGoogleConnection({
    rootUrl: fake.url,
    accessToken: token.token,
    account: support,
    features: ['gmail_channel', 'gmail_send'],
  });
  api = await createTestApi({
    inboundMail: { resolver: mail.resolver },
    gmail: {
      channel: true,
      sender: true,
      connection,
      // The test drives the passes itself (and pushes); no timer.
      pollIntervalMs: 0,
      push: { audience, serviceAccountEmail: pushAccount, certsUrl: `${fake.url}oauth2/v1/certs` },
      maxRawBytes: 256 * 1024,
      maxAttachmentBytes: 300 * 1024,
    },
  });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = api.app.server.address() as { port: number };
  fake.subscribe({
    endpoint: `http://127.0.0.1:${address.port}/api/webhooks/gmail`,
    audience,
    serviceAccountEmail: pushAccount,
  });
  // A second worker's channel on the same database: passes that race the API's own.
  channel = createGmailChannel({
    pool: api.database.pool,
    client: createGmailClient({ connection, feature: 'gmail_channel' }),
    mail: api.runtime.inboundMail,
    maxRawBytes: 256 * 1024,
    maxAttachmentBytes: 300 * 1024,
  });
  // The first pass starts the history at the mailbox's present.
  expect((await pass()).mode).toBe('initial');
}, 300_000);
afterAll(async () => {
  await api?.close();
  await fake?.close();
});

const pass = () =>
  runGmailSyncJob(
    { pool: api.database.pool, jobs: api.context.jobs, bus: api.context.bus, gmail: { channel } },
    { reason: 'poll' },
  );

const count = async (sql: string, values: unknown[] = []) =>
  Number((await api.database.pool.query(sql, values)).rows[0].count);

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  ms = 30_000,
): Promise<T> {
  for (let waited = 0; waited < ms; waited += 50) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const turnDone = (messageId: string) =>
  waitFor(`the turn of ${messageId}`, async () => {
    const { rows } = await api.database.pool.query(
      `SELECT id::text, conversation_id, body, metadata, turn_status FROM messages WHERE client_message_id = $1`,
      [messageId],
    );
    return rows[0]?.turn_status === 'done' ? rows[0] : null;
  });

async function signedMail(subject: string, text: string, extraHeaders: string[] = []) {
  const messageId = mail.messageId();
  const raw = plainMail({ from: `Maya Chen <${maya.email}>`, subject, text, messageId });
  const withHeaders = extraHeaders.length
    ? raw.replace('MIME-Version: 1.0', [...extraHeaders, 'MIME-Version: 1.0'].join('\r\n'))
    : raw;
  return { messageId, raw: await mail.sign(withHeaders) };
}

describe(`the Gmail channel end to end (${testDatabaseKind()})`, () => {
  it('answers an invoice request in the same Gmail thread, once, when the poll and a push both see it', async () => {
    const invoice = (
      await api.database.pool.query(`SELECT id FROM invoices WHERE account_id = $1 ORDER BY id LIMIT 1`, [
        maya.account,
      ])
    ).rows[0].id as string;
    const { messageId, raw } = await signedMail(
      'Invoice copy',
      `Hello, could you email me a copy of invoice ${invoice}?`,
    );
    const placed = fake.deliver(raw);

    // The push (verified OIDC token → a queued pass), the API's poll and a second worker, all at once.
    const [pushStatus] = await Promise.all([
      fake.push(),
      api.context.jobs.enqueue('gmail.sync', { reason: 'poll' }, { jobId: 'gmail.sync' }),
      pass(),
      pass(),
    ]);
    expect(pushStatus).toBe(200);
    const stored = await turnDone(messageId);
    expect(stored.metadata.mail_auth).toMatchObject({ dmarc: 'pass', aligned: true });
    expect(stored.metadata.gmail).toMatchObject({ message_id: placed.id, thread_id: placed.threadId });
    expect(await count(`SELECT count(*) FROM messages WHERE client_message_id = $1`, [messageId])).toBe(1);
    expect(await count(`SELECT count(*) FROM gmail_messages WHERE gmail_message_id = $1`, [placed.id])).toBe(
      1,
    );
    // Another push and poll later find nothing new.
    await fake.push();
    await pass();
    expect(await count(`SELECT count(*) FROM messages WHERE client_message_id = $1`, [messageId])).toBe(1);

    // The outbox goes out through Gmail; a second dispatch pass (a retry) sends nothing twice.
    await api.context.switchboard.dispatcher.dispatchPending();
    await api.context.switchboard.dispatcher.dispatchPending();
    const thread = fake.thread(placed.threadId);
    const replies = thread.filter((message) => message.labelIds.has('SENT'));
    expect(replies).toHaveLength(1);
    const reply = replies[0]!.raw.toString('utf8');
    expect(reply).toMatch(
      new RegExp(`^In-Reply-To: ${messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'mi'),
    );
    expect(reply).toMatch(/^Auto-Submitted: auto-replied/im);
    expect(reply).toMatch(/^Subject: Re: Invoice copy\r?$/im);
    expect(reply).toMatch(/^To: .*maya\.chen@brightpath\.io/im);
    expect(fake.threadingMisses).toEqual([]);
    // The invoice copy went out through Gmail too, as its own mail.
    const invoiceCopy = fake.sent().filter((message) => message.threadId !== placed.threadId);
    expect(invoiceCopy.map((message) => message.subject).join('\n')).toMatch(new RegExp(invoice));
    // Our reply in the mailbox history is never taken for support mail.
    await pass();
    expect(
      await count(`SELECT count(*) FROM messages WHERE conversation_id = $1 AND role = 'customer'`, [
        stored.conversation_id,
      ]),
    ).toBe(1);
    // Handled: the inbound mail carries the Answered label (created on first use).
    const answered = [...fake.labels.values()].find((label) => label.name === 'Switchboard/Answered')!;
    expect(fake.messages.get(placed.id)!.labelIds.has(answered.id)).toBe(true);
  }, 120_000);

  it('sends a reply once when Gmail took it but its answer was lost', async () => {
    const { messageId, raw } = await signedMail('Lost answer', 'How do I reset my password?');
    const placed = fake.deliver(raw);
    await pass();
    await turnDone(messageId);
    fake.failNext('lost', { operation: 'messages.send', afterApplying: true });
    const first = await api.context.switchboard.dispatcher.dispatchPending();
    expect(first.retrying).toBeGreaterThanOrEqual(1);
    expect(fake.thread(placed.threadId).filter((message) => message.labelIds.has('SENT'))).toHaveLength(1);
    // The retry (after the backoff) finds our Message-ID in sent mail instead of sending again.
    await api.database.pool.query(
      `UPDATE email_outbox SET created_at = created_at - interval '1 hour' WHERE status = 'queued'`,
    );
    await api.context.switchboard.dispatcher.dispatchPending();
    expect(fake.thread(placed.threadId).filter((message) => message.labelIds.has('SENT'))).toHaveLength(1);
    expect(await count(`SELECT count(*) FROM email_outbox WHERE status <> 'sent'`)).toBe(0);
  }, 60_000);

  it('reports a refused token, gets a fresh one and retries once', async () => {
    const before = connection.invalidated.length;
    fake.failNext(401, { operation: 'history.list' });
    const { messageId, raw } = await signedMail('Hello again', 'Is my account in good standing?');
    fake.deliver(raw);
    await pass();
    expect(connection.invalidated.length).toBe(before + 1);
    expect(await count(`SELECT count(*) FROM messages WHERE client_message_id = $1`, [messageId])).toBe(1);
  });

  it('fails the pass on 429 and 5xx without moving the history, and the retry stores each mail once', async () => {
    const { messageId, raw } = await signedMail('Rate limited', 'Please check my last invoice.');
    fake.deliver(raw);
    const historyBefore = (await api.database.pool.query('SELECT history_id::text FROM gmail_mailbox'))
      .rows[0].history_id;
    fake.failNext(429, { operation: 'messages.get' });
    const limited = await pass().catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(ConnectorError);
    expect((limited as ConnectorError).kind).toBe('rate_limited');
    expect((limited as ConnectorError).retryAfterSeconds).toBe(1);
    fake.failNext(503, { operation: 'history.list' });
    expect(((await pass().catch((error: unknown) => error)) as ConnectorError).kind).toBe('transient');
    fake.failNext('lost', { operation: 'messages.get' });
    expect(((await pass().catch((error: unknown) => error)) as ConnectorError).retryable).toBe(true);
    expect(
      (await api.database.pool.query('SELECT history_id::text FROM gmail_mailbox')).rows[0].history_id,
    ).toBe(historyBefore);
    expect(await count(`SELECT count(*) FROM messages WHERE client_message_id = $1`, [messageId])).toBe(0);
    // Through the job queue: its retry with backoff stores it.
    fake.failNext(500, { operation: 'messages.get' });
    await api.context.jobs.enqueue('gmail.sync', { reason: 'poll' }, { jobId: 'gmail.sync' });
    await waitFor(
      'the retried pass',
      async () =>
        (await count(`SELECT count(*) FROM messages WHERE client_message_id = $1`, [messageId])) === 1,
    );
    await pass();
    expect(await count(`SELECT count(*) FROM messages WHERE client_message_id = $1`, [messageId])).toBe(1);
  }, 60_000);

  it('refuses malformed mail for good, and never answers an auto-reply or a mail sent from the mailbox', async () => {
    const noFrom = fake.deliver('Subject: no sender\r\nMessage-ID: <nofrom-1@x.example>\r\n\r\nbody\r\n');
    const autoReply = await signedMail('Out of office', 'I am away until Monday.', [
      'Auto-Submitted: auto-replied',
    ]);
    const auto = fake.deliver(autoReply.raw);
    const ownSent = fake.deliver(
      plainMail({
        from: support,
        subject: 'A note from a colleague',
        text: 'sent from Gmail by hand',
        messageId: '<by-hand-1@lumen.example>',
      }).replace('To: support@lumen.example', `To: ${maya.email}`),
      { labelIds: ['SENT'] },
    );
    const summary = await pass();
    expect(summary.refused).toBe(1);
    // Mail sent from the mailbox is not INBOX mail: never even fetched.
    expect(summary.skipped).toBe(0);
    expect(fake.requests.some((request) => request.path.endsWith(`/messages/${ownSent.id}`))).toBe(false);
    expect(
      await count(`SELECT count(*) FROM messages WHERE client_message_id = '<by-hand-1@lumen.example>'`),
    ).toBe(0);
    const outcomes = await api.database.pool.query<{ gmail_message_id: string; outcome: string }>(
      'SELECT gmail_message_id, outcome FROM gmail_messages WHERE gmail_message_id = ANY($1)',
      [[noFrom.id, auto.id, ownSent.id]],
    );
    expect(Object.fromEntries(outcomes.rows.map((row) => [row.gmail_message_id, row.outcome]))).toEqual({
      [noFrom.id]: 'refused',
      [auto.id]: 'stored',
    });
    const stored = await api.database.pool.query(
      `SELECT m.turn_status, m.metadata->>'loop' AS loop, m.conversation_id FROM messages m WHERE client_message_id = $1`,
      [autoReply.messageId],
    );
    expect(stored.rows[0]).toMatchObject({ turn_status: 'done', loop: 'auto_submitted' });
    await api.context.switchboard.dispatcher.dispatchPending();
    expect(
      await count('SELECT count(*) FROM email_outbox WHERE conversation_id = $1', [
        stored.rows[0].conversation_id,
      ]),
    ).toBe(0);
    expect(fake.thread(auto.threadId).filter((message) => message.labelIds.has('SENT'))).toHaveLength(0);
  }, 60_000);

  it('stores a huge mail from its text, attachments by reference only, unauthenticated', async () => {
    const messageId = mail.messageId();
    const big = Buffer.alloc(400 * 1024, 7)
      .toString('base64')
      .replace(/.{76}/g, '$&\r\n');
    const raw = await mail.sign(
      [
        `From: Maya Chen <${maya.email}>`,
        `To: ${support}`,
        'Subject: Logs attached',
        `Message-ID: ${messageId}`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: multipart/alternative; boundary="b2"',
        '',
        '--b2',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Here are the logs of the failed export.',
        '--b2',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Here are the logs of the failed export.</p>',
        '--b2--',
        '--b1',
        'Content-Type: application/zip; name="logs.zip"',
        'Content-Disposition: attachment; filename="logs.zip"',
        'Content-Transfer-Encoding: base64',
        '',
        big,
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const placed = fake.deliver(raw);
    await pass();
    const stored = await turnDone(messageId);
    expect(stored.body).toContain('logs of the failed export');
    expect(stored.body).not.toContain('AAAA');
    expect(stored.metadata.gmail).toMatchObject({ body_only: true });
    expect(stored.metadata.gmail.attachments).toEqual([
      expect.objectContaining({
        gmail_message_id: placed.id,
        filename: 'logs.zip',
        mime_type: 'application/zip',
        size: 400 * 1024,
        over_limit: true,
      }),
    ]);
    // Its DKIM body hash no longer matches what was stored: not proven, so it gets no document.
    expect(stored.metadata.mail_auth.aligned).toBe(false);
    const raws = fake.requests.filter(
      (request) => request.operation === 'messages.get' && request.path.endsWith(placed.id),
    );
    expect(raws.map((request) => request.query.get('format'))).toEqual(['full']);
  }, 60_000);

  it('resyncs from the newest inbox mail when Gmail no longer has the history id, without duplicates', async () => {
    const { messageId, raw } = await signedMail('After a long outage', 'Anyone there?');
    fake.deliver(raw);
    fake.expireHistory();
    const before = await count(`SELECT count(*) FROM messages WHERE role = 'customer'`);
    const summary = await pass();
    expect(summary.mode).toBe('full_resync');
    expect(await count(`SELECT count(*) FROM messages WHERE client_message_id = $1`, [messageId])).toBe(1);
    expect(await count(`SELECT count(*) FROM messages WHERE role = 'customer'`)).toBe(before + 1);
    expect((await pass()).mode).toBe('history');
  }, 60_000);

  it('refuses pushes without a valid token from the configured service account', async () => {
    expect(await fake.push({ token: null })).toBe(401);
    expect(await fake.push({ token: 'not-a-jwt' })).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    const someoneElse = fake.signIdToken({
      iss: 'https://accounts.google.com',
      aud: audience,
      email: 'attacker@evil.iam.gserviceaccount.com',
      email_verified: true,
      sub: '1',
      iat: now,
      exp: now + 600,
    });
    expect(await fake.push({ token: someoneElse })).toBe(403);
    const wrongAudience = fake.signIdToken({
      iss: 'https://accounts.google.com',
      aud: 'https://elsewhere.example/push',
      email: pushAccount,
      email_verified: true,
      sub: '1',
      iat: now,
      exp: now + 600,
    });
    expect(await fake.push({ token: wrongAudience })).toBe(401);
  });

  it('renews the watch before its 7-day expiry, not every day', async () => {
    const first = await channel.renewWatch('projects/switchboard-test/topics/gmail');
    expect(first.renewed).toBe(true);
    expect(fake.watch()?.topicName).toBe('projects/switchboard-test/topics/gmail');
    expect((await channel.renewWatch('projects/switchboard-test/topics/gmail')).renewed).toBe(false);
    await api.database.pool.query(`UPDATE gmail_mailbox SET watch_expires_at = now() + interval '1 day'`);
    expect((await channel.renewWatch('projects/switchboard-test/topics/gmail')).renewed).toBe(true);
  });
});
