import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { createConnectorGateway } from '../core/connector-gateway.ts';
import type { CallerSession, OperationContext, OperationDefinition } from '../core/definition.ts';
import { createEmailConnector } from './connector.ts';
import { createEmailDispatcher } from './dispatcher.ts';
import { emailContext, emailTestWorld } from './test-support.ts';
import { createFileTransport, createSmtpTransport, emlPathFor } from './transport.ts';

let database: Database;
let smtp: SMTPServer;
let smtpPort: number;
let received: ParsedMail[];
let dataDir: string;

/** A port nothing listens on: connecting is refused at once. */
const closedPort = 1;

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), 'sb-email-'));
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await database?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, emailTestWorld);
  received = [];
});

const smtpTransport = () =>
  createSmtpTransport({ url: `smtp://127.0.0.1:${smtpPort}`, ignoreTLS: true, timeoutMs: 5000 });
const send = async (input: Record<string, unknown>, context: OperationContext) => {
  const operation = createEmailConnector({ db: database.pool, transport: smtpTransport() }).operations
    .send as OperationDefinition;
  // Like the pipeline: input parsed by its schema, output checked against its schema.
  const output = operation.output.parse(await operation.run(operation.input.parse(input), context));
  return output as { message_id: string; to: string; subject: string };
};
const outbox = async () =>
  (
    await database.pool.query(
      'SELECT message_id, to_address, status, attempts, last_error FROM email_outbox ORDER BY created_at',
    )
  ).rows;
const refund = {
  contact_id: 'ct_1',
  template: 'refund_issued',
  variables: { amount_cents: 9900, payment_id: 'pay_2' },
};

describe(`email.send (${testDatabaseKind()})`, () => {
  it('queues once per idempotency key, always to the contact’s own address', async () => {
    const context = emailContext({ idempotencyKey: 'conv_chat_1:refund:pay_2' });
    // Another recipient is only for the templates that prove or announce an address (explicitRecipient).
    await expect(send({ ...refund, to: 'attacker@evil.example' }, context)).rejects.toMatchObject({
      kind: 'forbidden',
      message: 'the refund_issued email only goes to the address on file',
    });
    expect(await outbox()).toHaveLength(0);
    const first = await send(refund, context);
    const second = await send(refund, context);
    expect(second).toEqual(first);
    expect(first).toMatchObject({
      to: 'maya@brightpath.io',
      status: 'queued',
      subject: 'Your refund of $99.00 has been issued [#conv_chat_1]',
    });
    // A signed reply token (message-id.ts): the same for the second send, a fresh one under another idempotency key.
    expect(first.message_id).toMatch(/^<sb\.[0-9a-f]{32}\.[0-9a-f]{32}@switchboard\.local>$/);
    expect(await outbox()).toHaveLength(1);

    await send(refund, emailContext({ idempotencyKey: 'conv_chat_1:refund:another' }));
    expect(await outbox()).toHaveLength(2);
  });

  it('refuses account emails to an unverified customer but sends them a verification code', async () => {
    await expect(send(refund, emailContext({ verified: false, idempotencyKey: 'u1' }))).rejects.toMatchObject(
      {
        kind: 'forbidden',
      },
    );
    const code = await send(
      { contact_id: 'ct_1', template: 'verification_code', variables: { code: '493817' } },
      emailContext({ verified: false, idempotencyKey: 'u2' }),
    );
    expect(code.to).toBe('maya@brightpath.io');
    expect(await outbox()).toHaveLength(1);
  });

  it('fails with not_found for an unknown contact and invalid_input for bad variables', async () => {
    await expect(
      send({ ...refund, contact_id: 'ct_nope' }, emailContext({ idempotencyKey: 'n1' })),
    ).rejects.toMatchObject({
      kind: 'not_found',
    });
    const operation = createEmailConnector({ db: database.pool, transport: smtpTransport() }).operations
      .send!;
    await expect(
      operation.run({ ...refund, variables: { amount_cents: -5 } }, emailContext({ idempotencyKey: 'n2' })),
    ).rejects.toMatchObject({ kind: 'invalid_input' });
    expect(await outbox()).toHaveLength(0);
  });
});

describe(`email dispatcher (${testDatabaseKind()})`, () => {
  it('delivers a queued email to a real SMTP server exactly once, with the ledger’s Message-ID', async () => {
    const queued = await send(refund, emailContext({ idempotencyKey: 'd1' }));
    const dispatcher = createEmailDispatcher({ db: database.pool, transport: smtpTransport() });
    expect(await dispatcher.dispatchPending()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(await dispatcher.dispatchPending()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(received).toHaveLength(1);
    expect(received[0]!.messageId).toBe(queued.message_id);
    expect(received[0]!.subject).toBe(queued.subject);
    expect((received[0]!.to as { text: string }).text).toBe('maya@brightpath.io');
    expect(received[0]!.text).toContain('$99.00');
    expect(await outbox()).toMatchObject([{ status: 'sent', attempts: 1, last_error: null }]);
  });

  it('delivers a one-time code, then keeps only a masked copy of it (unless told to keep it)', async () => {
    await send(
      { contact_id: 'ct_1', template: 'verification_code', variables: { code: '493817' } },
      emailContext({ verified: false, idempotencyKey: 'c1' }),
    );
    await send(refund, emailContext({ idempotencyKey: 'c2' }));
    const dispatcher = createEmailDispatcher({ db: database.pool, transport: smtpTransport() });
    expect(await dispatcher.dispatchPending()).toMatchObject({ sent: 2 });
    expect(received.find((mail) => mail.text?.includes('493817'))).toBeDefined();
    const stored = async () =>
      (await database.pool.query('SELECT template, text_body, html_body FROM email_outbox ORDER BY template'))
        .rows;
    const rows = await stored();
    const code = rows.find((row) => row.template === 'verification_code')!;
    const refundRow = rows.find((row) => row.template === 'refund_issued')!;
    expect(code.text_body).not.toContain('493817');
    expect(code.html_body).not.toContain('493817');
    expect(code.text_body).toContain('••••••');
    // Other mail is kept as sent.
    expect(refundRow.text_body).toContain('$99.00');

    await send(
      { contact_id: 'ct_1', template: 'verification_code', variables: { code: '551203' } },
      emailContext({ verified: false, idempotencyKey: 'c3' }),
    );
    const keeping = createEmailDispatcher({
      db: database.pool,
      transport: smtpTransport(),
      scrubDeliveredCodes: false,
    });
    expect(await keeping.dispatchPending()).toMatchObject({ sent: 1 });
    expect((await stored()).some((row) => row.text_body.includes('551203'))).toBe(true);
  });

  it('leaves the row queued with attempts counted when the transport fails, and backs off', async () => {
    await send(refund, emailContext({ idempotencyKey: 'd2' }));
    let clock = Date.now();
    const failing = createEmailDispatcher({
      db: database.pool,
      transport: createSmtpTransport({
        url: `smtp://127.0.0.1:${closedPort}`,
        ignoreTLS: true,
        timeoutMs: 2000,
      }),
      backoffBaseMs: 30_000,
      maxAttempts: 2,
      now: () => new Date(clock),
    });
    expect(await failing.dispatchPending()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    const [row] = await outbox();
    expect(row).toMatchObject({ status: 'queued', attempts: 1 });
    expect(row.last_error).toMatch(/ECONNREFUSED|connect/i);

    // Not due again before the backoff has passed.
    expect(await failing.dispatchPending()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    clock += 31_000;
    expect(await failing.dispatchPending()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    expect(await outbox()).toMatchObject([{ status: 'failed', attempts: 2 }]);
    expect(received).toHaveLength(0);
  });

  it('writes an .eml file with the Message-ID when no SMTP server is configured', async () => {
    const queued = await send(refund, emailContext({ idempotencyKey: 'd3' }));
    const transport = createFileTransport({ dataDir });
    expect(
      await createEmailConnector({ db: database.pool, transport }).check(new AbortController().signal),
    ).toMatchObject({
      ok: true,
    });
    await createEmailDispatcher({ db: database.pool, transport }).dispatchPending();
    const eml = await readFile(emlPathFor(dataDir, queued.message_id));
    // Owner-only: the outbox holds one-time codes and payment-link tokens (as the master key is 0600).
    expect((await stat(emlPathFor(dataDir, queued.message_id))).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(emlPathFor(dataDir, queued.message_id)))).mode & 0o777).toBe(0o700);
    const parsed = await simpleParser(eml);
    expect(parsed.messageId).toBe(queued.message_id);
    expect((parsed.to as { text: string }).text).toBe('maya@brightpath.io');
    expect(parsed.html).toContain('<p>Hi Maya,</p>');
    expect(await outbox()).toMatchObject([{ status: 'sent' }]);
  });

  it('check() verifies the SMTP server and reports one that is down', async () => {
    const signal = new AbortController().signal;
    expect(
      await createEmailConnector({ db: database.pool, transport: smtpTransport() }).check(signal),
    ).toMatchObject({
      ok: true,
    });
    const down = createSmtpTransport({ url: `smtp://user:secret@127.0.0.1:${closedPort}`, timeoutMs: 2000 });
    const result = await createEmailConnector({ db: database.pool, transport: down }).check(signal);
    expect(result.ok).toBe(false);
    expect(result.detail).not.toContain('secret');
  });

  it('start()/stop() delivers in the background', async () => {
    await send(refund, emailContext({ idempotencyKey: 'd4' }));
    const dispatcher = createEmailDispatcher({ db: database.pool, transport: smtpTransport() });
    dispatcher.start(20);
    for (let waited = 0; received.length === 0 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await dispatcher.stop();
    expect(received).toHaveLength(1);
  });
});

describe(`email.send through the connector gateway (${testDatabaseKind()})`, () => {
  const session = (verified: boolean): CallerSession => ({
    conversationId: 'conv_gw',
    actor: 'agent',
    customer: { contactId: 'ct_1', accountId: 'acc_1', verified },
  });
  const gateway = () =>
    createConnectorGateway({
      db: database.pool,
      connectors: [createEmailConnector({ db: database.pool, transport: smtpTransport() })],
      resilience: { retry: { initialDelayMs: 1, maxDelayMs: 5 } },
    });

  it('queues one email for a repeated send in a conversation, to the session’s contact', async () => {
    const emails = gateway();
    const input = { template: 'refund_issued', variables: { amount_cents: 9900, payment_id: 'pay_2' } };
    const first = await emails.callByName(session(true), 'email', 'send', input);
    const again = await emails.callByName(session(true), 'email', 'send', input);
    expect(first).toMatchObject({ status: 'ok', data: { to: 'maya@brightpath.io', status: 'queued' } });
    expect(again).toMatchObject({ status: 'ok', replayed: true });
    expect(await outbox()).toHaveLength(1);
    const other = await emails.callByName(session(true), 'email', 'send', { ...input, contact_id: 'ct_2' });
    expect(other).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    await emails.close();
  });

  it('lets an unverified customer receive a verification code but not an invoice', async () => {
    const emails = gateway();
    const code = await emails.callByName(session(false), 'email', 'send', {
      template: 'verification_code',
      variables: { code: '112233' },
    });
    expect(code).toMatchObject({ status: 'ok', data: { to: 'maya@brightpath.io' } });
    const invoice = await emails.callByName(session(false), 'email', 'send', {
      template: 'invoice_copy',
      variables: { invoice_id: 'INV-1', amount_cents: 100, issued_at: '2026-11-01', status: 'paid' },
    });
    expect(invoice).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    expect(await outbox()).toHaveLength(1);
    await emails.close();
  });
});
