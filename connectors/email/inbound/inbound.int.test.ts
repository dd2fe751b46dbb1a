import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { clearWorld, loadWorld } from '../../../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { createEmailConnector } from '../connector.ts';
import { createEmailDispatcher } from '../dispatcher.ts';
import { emailContext, emailTestWorld } from '../test-support.ts';
import type { EmailTransport, OutgoingEmail } from '../transport.ts';
import { createInboundSmtpServer, type InboundMessageEvent, type InboundSmtpServer } from './smtp-server.ts';

let database: Database;
let inbound: InboundSmtpServer;
let client: nodemailer.Transporter<SMTPTransport.SentMessageInfo>;
let events: InboundMessageEvent[];
let failOnMessage = false;
const maxBytes = 20_000;

beforeAll(async () => {
  database = await createTestDatabase();
  inbound = createInboundSmtpServer({
    db: database.pool,
    maxBytes,
    onMessage: (event) => {
      events.push(event);
      if (failOnMessage) throw new Error('queue down');
    },
  });
  const { port } = await inbound.listen();
  client = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
});
afterAll(async () => {
  client?.close();
  await inbound?.close();
  await database?.close();
});
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, emailTestWorld);
  await database.pool.query(
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status)
     VALUES ('conv_chat_1', 'chat', 'ct_1', 'acc_1', true, 'resolved')`,
  );
  events = [];
  failOnMessage = false;
});

const mail = (options: nodemailer.SendMailOptions) =>
  client.sendMail({
    from: 'Maya Chen <maya@brightpath.io>',
    to: 'support@lumen.example',
    text: 'Hello',
    ...options,
  });
const messagesOf = async (conversationId: string) =>
  (
    await database.pool.query(
      'SELECT role, body, client_message_id FROM messages WHERE conversation_id = $1 ORDER BY id',
      [conversationId],
    )
  ).rows;
const smtpCode = async (sending: Promise<unknown>) => {
  try {
    await sending;
    return 250;
  } catch (error) {
    return (error as { responseCode?: number }).responseCode;
  }
};

/** Queues a confirmation for conv_chat_1 the way the agent would, returning its Message-ID. */
async function sendConfirmation(): Promise<string> {
  const captured: EmailTransport = {
    kind: 'file',
    send: async () => {},
    verify: async () => ({ ok: true, detail: '' }),
    close: () => {},
  };
  const send = createEmailConnector({ db: database.pool, transport: captured }).operations.send!;
  const result = await send.run(
    send.input.parse({ contact_id: 'ct_1', template: 'call_cancelled', variables: { booking_id: 'bk_1' } }),
    emailContext({ idempotencyKey: 'conv_chat_1:cancel' }),
  );
  return result.message_id;
}

describe(`inbound email over SMTP (${testDatabaseKind()})`, () => {
  it('starts an unverified email conversation for a new mail from a known contact', async () => {
    await mail({
      subject: 'Export broken',
      text: 'The CSV export fails.',
      messageId: '<new-1@brightpath.io>',
    });
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({
      newConversation: true,
      duplicate: false,
      contactId: 'ct_1',
      threadedBy: 'new_thread',
    });
    const conversation = (
      await database.pool.query('SELECT * FROM conversations WHERE id = $1', [event.conversationId])
    ).rows[0];
    expect(conversation).toMatchObject({
      channel: 'email',
      contact_id: 'ct_1',
      account_id: 'acc_1',
      verified: false,
    });
    expect(await messagesOf(event.conversationId)).toEqual([
      { role: 'customer', body: 'The CSV export fails.', client_message_id: '<new-1@brightpath.io>' },
    ]);
  });

  it('threads a reply by In-Reply-To to the conversation of our outbound email and reopens it', async () => {
    const ourMessageId = await sendConfirmation();
    await mail({
      subject: 'Re: Your call has been cancelled',
      inReplyTo: ourMessageId,
      references: [ourMessageId],
      text: 'Can we book a new one?\n\nOn Fri, Lumen Cloud wrote:\n> Your call has been cancelled',
    });
    expect(events[0]).toMatchObject({
      conversationId: 'conv_chat_1',
      threadedBy: 'in_reply_to',
      newConversation: false,
    });
    expect((await messagesOf('conv_chat_1')).map((message) => message.body)).toEqual([
      'Can we book a new one?',
    ]);
    const status = await database.pool.query(`SELECT status FROM conversations WHERE id = 'conv_chat_1'`);
    expect(status.rows[0].status).toBe('open');
  });

  it('threads by a [#conversation] subject reference, but only for the same sender', async () => {
    await mail({ subject: 'Re: Your refund [#conv_chat_1]', text: 'Thanks!' });
    expect(events[0]).toMatchObject({ conversationId: 'conv_chat_1', threadedBy: 'subject_reference' });

    await mail({
      from: 'omar@northwind.example',
      subject: 'Re: [#conv_chat_1] give me her data',
      text: 'Hi',
    });
    expect(events[1]).toMatchObject({ threadedBy: 'new_thread', newConversation: true, contactId: 'ct_2' });
    expect(events[1]!.conversationId).not.toBe('conv_chat_1');
    expect(await messagesOf('conv_chat_1')).toHaveLength(1);
  });

  it('stores a redelivered mail once', async () => {
    const message = { subject: 'Help', text: 'Where is my invoice?', messageId: '<dup-1@brightpath.io>' };
    await mail(message);
    await mail(message);
    expect(events.map((event) => event.duplicate)).toEqual([false, true]);
    expect(events[1]!.conversationId).toBe(events[0]!.conversationId);
    const count = await database.pool.query(
      `SELECT count(*)::int AS n FROM messages WHERE client_message_id = '<dup-1@brightpath.io>'`,
    );
    expect(count.rows[0].n).toBe(1);
  });

  it('answers 451 when the hand-over fails, keeps the mail, and takes the redelivery once', async () => {
    failOnMessage = true;
    const message = { subject: 'Help', text: 'Hello?', messageId: '<retry-1@brightpath.io>' };
    expect(await smtpCode(mail(message))).toBe(451);
    failOnMessage = false;
    expect(await smtpCode(mail(message))).toBe(250);
    expect(events.map((event) => event.duplicate)).toEqual([false, true]);
  });

  it('rejects an oversized mail with 552 and stores nothing', async () => {
    expect(await smtpCode(mail({ subject: 'Logs', text: 'x'.repeat(maxBytes + 1000) }))).toBe(552);
    expect(events).toHaveLength(0);
    expect((await database.pool.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(0);
  });

  it('rejects a mail without a From header with 550 and an unparseable one with 554', async () => {
    const raw =
      'To: support@lumen.example\r\nSubject: who am I\r\nMessage-ID: <nofrom@x.example>\r\n\r\nHi\r\n';
    const code = await smtpCode(
      client.sendMail({ envelope: { from: 'bounce@x.example', to: ['support@lumen.example'] }, raw }),
    );
    expect(code).toBe(550);
    const headerless = await smtpCode(
      client.sendMail({
        envelope: { from: 'bounce@x.example', to: ['support@lumen.example'] },
        raw: '\r\n\r\nnothing\r\n',
      }),
    );
    expect(headerless).toBe(554);
    expect(events).toHaveLength(0);
  });

  it('outbound replies in an email conversation carry In-Reply-To the customer’s latest mail', async () => {
    await mail({ subject: 'Invoice please', text: 'Send INV-1001', messageId: '<ask-1@brightpath.io>' });
    const conversationId = events[0]!.conversationId;
    const sent: OutgoingEmail[] = [];
    const transport: EmailTransport = {
      kind: 'file',
      send: async (email) => {
        sent.push(email);
      },
      verify: async () => ({ ok: true, detail: '' }),
      close: () => {},
    };
    const send = createEmailConnector({ db: database.pool, transport }).operations.send!;
    await send.run(
      send.input.parse({
        contact_id: 'ct_1',
        template: 'invoice_copy',
        variables: { invoice_id: 'INV-1001', amount_cents: 9900, issued_at: '2026-11-01', status: 'paid' },
      }),
      emailContext({ idempotencyKey: `${conversationId}:invoice`, conversationId }),
    );
    await createEmailDispatcher({ db: database.pool, transport }).dispatchPending();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      inReplyTo: '<ask-1@brightpath.io>',
      references: ['<ask-1@brightpath.io>'],
    });
    expect(sent[0]!.subject).toContain(`[#${conversationId}]`);
  });
});
