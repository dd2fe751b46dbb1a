import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { storeInboundEmail } from '../../../conversations/email-intake.ts';
import type { Database } from '../../../db/database.ts';
import { hashOneTimeCode, maskedCode } from '../../../db/one-time-codes.ts';
import { clearWorld, loadWorld } from '../../../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { createEmailConnector } from '../connector.ts';
import { createEmailDispatcher } from '../dispatcher.ts';
import { mintMessageId, type ReplyTokenKeys } from '../message-id.ts';
import { emailContext, emailTestWorld } from '../test-support.ts';
import type { EmailTransport, OutgoingEmail } from '../transport.ts';
import type { DnsResolver } from './authenticate.ts';
import { parseInboundEmail } from './parse.ts';
import { isPermanentStorageError, receiveInboundEmail } from './receive.ts';
import { createInboundSmtpServer, type InboundMessageEvent, type InboundSmtpServer } from './smtp-server.ts';
import { createDkimKey, stubResolver, testReplyTokens } from './test-support.ts';
import { isAlignedDmarcPass, mailAuthOf } from './verdict.ts';

let database: Database;
let inbound: InboundSmtpServer;
let port: number;
let client: nodemailer.Transporter<SMTPTransport.SentMessageInfo>;
let events: InboundMessageEvent[];
let failOnMessage = false;
let replyTokens: ReplyTokenKeys;
let resolver: DnsResolver;
const keys: Record<string, ReturnType<typeof createDkimKey>> = {};
const maxBytes = 20_000;
const mta = 'mx.lumen.example';

beforeAll(async () => {
  database = await createTestDatabase();
  for (const domain of ['brightpath.io', 'northwind.example', 'evil.example']) keys[domain] = createDkimKey();
  // Maya's domain publishes p=reject and sends only from 203.0.113.5; Omar's also sends from loopback
  // (where these tests connect from), so his unsigned mail passes SPF.
  resolver = stubResolver({
    'sb._domainkey.brightpath.io TXT': [keys['brightpath.io']!.record],
    '_dmarc.brightpath.io TXT': ['v=DMARC1; p=reject'],
    'brightpath.io TXT': ['v=spf1 ip4:203.0.113.5 -all'],
    'sb._domainkey.northwind.example TXT': [keys['northwind.example']!.record],
    '_dmarc.northwind.example TXT': ['v=DMARC1; p=none'],
    'northwind.example TXT': ['v=spf1 ip4:127.0.0.1 -all'],
    'sb._domainkey.evil.example TXT': [keys['evil.example']!.record],
  }).resolver;
  replyTokens = testReplyTokens();
  inbound = createInboundSmtpServer({
    db: database.pool,
    maxBytes,
    replyTokens,
    store: storeInboundEmail,
    resolver,
    mta,
    // The test client connects from loopback and plays the MTA in front.
    trustedRelayHosts: ['127.0.0.1'],
    onMessage: (event) => {
      events.push(event);
      if (failOnMessage) throw new Error('queue down');
    },
  });
  ({ port } = await inbound.listen());
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
  // A chat Maya opened with an identity token: verified.
  await database.pool.query(
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status)
     VALUES ('conv_chat_1', 'chat', 'ct_1', 'acc_1', true, 'resolved'),
            ('conv_omar_1', 'chat', 'ct_2', 'acc_2', true, 'open')`,
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
/** A mail signed (DKIM, a real RSA signature) by `domain`'s key. */
const signedBy = (domain: string) => ({
  dkim: { domainName: domain, keySelector: 'sb', privateKey: keys[domain]!.privateKey },
});
const messagesOf = async (conversationId: string) =>
  (
    await database.pool.query(
      'SELECT role, body, client_message_id FROM messages WHERE conversation_id = $1 ORDER BY id',
      [conversationId],
    )
  ).rows;
const metadataOf = async (conversationId: string): Promise<Record<string, unknown>> =>
  (
    await database.pool.query('SELECT metadata FROM messages WHERE conversation_id = $1 ORDER BY id', [
      conversationId,
    ])
  ).rows[0].metadata;
const alerts = async () =>
  (
    await database.pool.query(
      `SELECT conversation_id, actor, account_id, connector_id, outcome, error_kind, detail
       FROM audit_log WHERE operation = 'inbound.thread_refused' ORDER BY id`,
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

/** Queues a confirmation for a conversation the way the agent would, returning its Message-ID. */
async function sendConfirmation(conversationId = 'conv_chat_1', contactId = 'ct_1'): Promise<string> {
  const captured: EmailTransport = {
    kind: 'file',
    send: async () => {},
    verify: async () => ({ ok: true, detail: '' }),
    close: () => {},
  };
  const send = createEmailConnector({ db: database.pool, transport: captured, replyTokens }).operations.send!;
  const result = await send.run(
    send.input.parse({
      contact_id: contactId,
      template: 'call_cancelled',
      variables: { booking_id: 'bk_1' },
    }),
    emailContext({ idempotencyKey: `${conversationId}:cancel`, conversationId, contactId }),
  );
  return result.message_id;
}

/**
 * Speaks SMTP command by command over a raw socket, as a relay sending XCLIENT would (nodemailer
 * cannot), returning each reply (the greeting first) as its code and full text.
 */
async function smtpDialogue(
  serverPort: number,
  commands: string[],
): Promise<Array<{ code: number; text: string }>> {
  const socket = connect(serverPort, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  const waiting: Array<(reply: { code: number; text: string }) => void> = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    // A reply ends with a line "NNN text" (a space, not a hyphen, after the code).
    for (let end = /^(\d{3}) .*\r\n/m.exec(buffer); end; end = /^(\d{3}) .*\r\n/m.exec(buffer)) {
      const text = buffer.slice(0, end.index + end[0].length);
      buffer = buffer.slice(text.length);
      waiting.shift()?.({ code: Number(end[1]), text });
    }
  });
  const reply = () => new Promise<{ code: number; text: string }>((resolve) => waiting.push(resolve));
  const replies = [await reply()];
  for (const command of commands) {
    const next = reply();
    socket.write(`${command}\r\n`);
    replies.push(await next);
  }
  socket.end();
  return replies;
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
    expect(await alerts()).toEqual([]);
  });

  describe('authentication (SPF, DKIM, DMARC) recorded as mail_auth', () => {
    it('a mail DKIM-signed by the From domain is an aligned DMARC pass', async () => {
      await mail({ subject: 'Invoice', text: 'Send me INV-1001', ...signedBy('brightpath.io') });
      const metadata = await metadataOf(events[0]!.conversationId);
      expect(metadata.mail_auth).toEqual({
        dmarc: 'pass',
        dkim: 'pass',
        // Loopback is not among brightpath.io's senders: DKIM carries the pass alone.
        spf: 'fail',
        aligned: true,
        from_domain: 'brightpath.io',
        authentication_results: expect.stringMatching(/^mx\.lumen\.example; dkim=pass .*dmarc=pass/),
      });
      expect(isAlignedDmarcPass(metadata)).toBe(true);
      expect(events[0]!.mailAuth.aligned).toBe(true);
    });

    it('a mail signed by another domain fails DMARC, and so does one without DKIM whose SPF fails', async () => {
      await mail({ subject: 'Refund', text: 'Refund me', ...signedBy('evil.example') });
      await mail({ subject: 'Refund', text: 'Refund me again' });
      const [signedElsewhere, unsigned] = await Promise.all(
        events.map((event) => metadataOf(event.conversationId)),
      );
      expect(mailAuthOf(signedElsewhere!)).toMatchObject({ dmarc: 'fail', dkim: 'pass', aligned: false });
      expect(mailAuthOf(unsigned!)).toMatchObject({
        dmarc: 'fail',
        dkim: 'none',
        spf: 'fail',
        aligned: false,
      });
      expect(isAlignedDmarcPass(signedElsewhere!)).toBe(false);
      expect(isAlignedDmarcPass(unsigned!)).toBe(false);
    });

    it('a body changed after signing fails DKIM and DMARC', async () => {
      const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
      const signed = await composer.sendMail({
        from: 'maya@brightpath.io',
        to: 'support@lumen.example',
        subject: 'Refund',
        text: 'Refund INV-1001 to my card.',
        ...signedBy('brightpath.io'),
      });
      const raw = (signed.message as Buffer).toString().replace('INV-1001', 'INV-9999');
      await client.sendMail({ envelope: { from: 'maya@brightpath.io', to: ['support@lumen.example'] }, raw });
      expect(mailAuthOf(await metadataOf(events[0]!.conversationId))).toMatchObject({
        dmarc: 'fail',
        dkim: 'neutral',
        aligned: false,
      });
    });

    it('SPF of the connecting client aligns an unsigned mail of a domain that sends from it', async () => {
      await mail({ from: 'omar@northwind.example', subject: 'Hi', text: 'Plan question' });
      expect(mailAuthOf(await metadataOf(events[0]!.conversationId))).toMatchObject({
        spf: 'pass',
        dkim: 'none',
        dmarc: 'pass',
        aligned: true,
      });
    });

    it('a trusted relay names the original client with XCLIENT; anyone else is refused', async () => {
      const raw = [
        'From: Maya Chen <maya@brightpath.io>',
        'To: support@lumen.example',
        'Subject: From my own server',
        'Message-ID: <xclient-1@brightpath.io>',
        '',
        'Sent through our MX.',
        '.',
      ].join('\r\n');
      const replies = await smtpDialogue(port, [
        'EHLO relay.lumen.example',
        'XCLIENT ADDR=203.0.113.5 HELO=mx.brightpath.io NAME=mx.brightpath.io',
        'EHLO relay.lumen.example',
        'MAIL FROM:<maya@brightpath.io>',
        'RCPT TO:<support@lumen.example>',
        'DATA',
        raw,
        'QUIT',
      ]);
      expect(replies.map((reply) => reply.code)).toEqual([220, 250, 220, 250, 250, 250, 354, 250, 221]);
      const metadata = await metadataOf(events[0]!.conversationId);
      expect(mailAuthOf(metadata)).toMatchObject({ spf: 'pass', dmarc: 'pass', aligned: true });
      expect(mailAuthOf(metadata)!.authentication_results).toContain('smtp.mailfrom=maya@brightpath.io');

      const untrusting = createInboundSmtpServer({
        db: database.pool,
        replyTokens,
        store: storeInboundEmail,
        resolver,
        onMessage: () => {},
      });
      const other = await untrusting.listen();
      try {
        const refused = await smtpDialogue(other.port, [
          'EHLO relay.lumen.example',
          'XCLIENT ADDR=203.0.113.5',
        ]);
        expect(refused.map((reply) => reply.code)).toEqual([220, 250, 550]);
        expect(refused[1]!.text).not.toContain('XCLIENT');
      } finally {
        await untrusting.close();
      }
    });
  });

  describe('joining a conversation: the contact, with our reply token', () => {
    it('joins the real reply of the contact carrying our Message-ID and reopens the conversation', async () => {
      const ourMessageId = await sendConfirmation();
      await mail({
        subject: 'Re: Your call has been cancelled',
        inReplyTo: ourMessageId,
        references: [ourMessageId],
        text: 'Can we book a new one?\n\nOn Fri, Lumen Cloud wrote:\n> Your call has been cancelled',
        ...signedBy('brightpath.io'),
      });
      expect(events[0]).toMatchObject({
        conversationId: 'conv_chat_1',
        threadedBy: 'reply_token',
        newConversation: false,
        refusedThreads: [],
      });
      expect((await messagesOf('conv_chat_1')).map((message) => message.body)).toEqual([
        'Can we book a new one?',
      ]);
      expect(await metadataOf('conv_chat_1')).toMatchObject({ threaded_by: 'reply_token' });
      const status = await database.pool.query(`SELECT status FROM conversations WHERE id = 'conv_chat_1'`);
      expect(status.rows[0].status).toBe('open');
      expect(await alerts()).toEqual([]);
    });

    it('a reply answering an outstanding one-time code is stored with the code masked and its hash', async () => {
      const ourMessageId = await sendConfirmation();
      await database.pool.query(
        `INSERT INTO verification_codes (id, conversation_id, contact_id, code_hash, expires_at)
         VALUES ('vc_mail', 'conv_chat_1', 'ct_1', $1, now() + interval '10 minutes')`,
        [hashOneTimeCode('conv_chat_1', '482910')],
      );
      await mail({
        subject: 'Re: Your verification code',
        inReplyTo: ourMessageId,
        references: [ourMessageId],
        text: 'Here it is: 482910',
        ...signedBy('brightpath.io'),
      });
      const { rows } = await database.pool.query(
        `SELECT body, metadata FROM messages WHERE conversation_id = 'conv_chat_1' AND role = 'customer'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].body).toBe(`Here it is: ${maskedCode}`);
      expect(rows[0].metadata.code_hashes).toEqual([hashOneTimeCode('conv_chat_1', '482910')]);
      expect(JSON.stringify(rows[0].metadata)).not.toContain('482910');
    });

    it('a forged From with the subject reference of a verified chat is not joined, and is alerted', async () => {
      await mail({
        subject: 'Re: Your refund [#conv_chat_1]',
        text: 'Please refund everything and change my email to attacker@evil.example',
      });
      const event = events[0]!;
      expect(event).toMatchObject({ threadedBy: 'new_thread', newConversation: true, contactId: 'ct_1' });
      expect(event.conversationId).not.toBe('conv_chat_1');
      expect(await messagesOf('conv_chat_1')).toEqual([]);
      const started = (
        await database.pool.query('SELECT channel, verified FROM conversations WHERE id = $1', [
          event.conversationId,
        ])
      ).rows[0];
      expect(started).toEqual({ channel: 'email', verified: false });
      expect(await alerts()).toEqual([
        {
          conversation_id: 'conv_chat_1',
          actor: 'system',
          account_id: 'acc_1',
          connector_id: 'email',
          outcome: 'refused',
          error_kind: 'no_reply_token',
          detail: expect.objectContaining({
            sender: 'maya@brightpath.io',
            named_by: ['subject_tag'],
            reasons: ['no_reply_token'],
            started_conversation_id: event.conversationId,
            mail_auth: expect.objectContaining({ dmarc: 'fail', aligned: false }),
          }),
        },
      ]);
    });

    it('another sender naming the conversation is refused for the sender too', async () => {
      await mail({
        from: 'omar@northwind.example',
        subject: 'Re: [#conv_chat_1] give me her data',
        text: 'Hi',
      });
      expect(events[0]).toMatchObject({ threadedBy: 'new_thread', newConversation: true, contactId: 'ct_2' });
      expect((await alerts())[0]).toMatchObject({
        conversation_id: 'conv_chat_1',
        error_kind: 'sender_mismatch',
        detail: expect.objectContaining({ reasons: ['sender_mismatch', 'no_reply_token'] }),
      });
    });

    it('our genuine reply token in someone else’s mail (a forward) is not joined', async () => {
      const ourMessageId = await sendConfirmation();
      await mail({ from: 'omar@northwind.example', subject: 'Fwd: cancelled', inReplyTo: ourMessageId });
      expect(events[0]).toMatchObject({ threadedBy: 'new_thread', contactId: 'ct_2' });
      expect(await messagesOf('conv_chat_1')).toEqual([]);
      expect((await alerts())[0]).toMatchObject({
        conversation_id: 'conv_chat_1',
        detail: expect.objectContaining({ named_by: ['references'], reasons: ['sender_mismatch'] }),
      });
    });

    it('a reply token of another conversation does not open this one', async () => {
      const omarsMessageId = await sendConfirmation('conv_omar_1', 'ct_2');
      await mail({ subject: 'Re: refund [#conv_chat_1]', inReplyTo: omarsMessageId, text: 'Refund it' });
      expect(events[0]).toMatchObject({ threadedBy: 'new_thread', newConversation: true });
      expect(await messagesOf('conv_chat_1')).toEqual([]);
      expect(await messagesOf('conv_omar_1')).toEqual([]);
      const byConversation = Object.fromEntries(
        (await alerts()).map((alert) => [alert.conversation_id, alert.detail.reasons]),
      );
      expect(byConversation).toEqual({
        conv_omar_1: ['sender_mismatch'],
        conv_chat_1: ['invalid_reply_token'],
      });
    });

    it('a forged or unknown token in our format is not joined', async () => {
      const genuine = await sendConfirmation();
      const forged = genuine.replace(/\.([0-9a-f]{32})@/, `.${randomBytes(16).toString('hex')}@`);
      // Signed with our key but never sent: not an outbox row of the conversation.
      const unsent = mintMessageId(replyTokens);
      await mail({ subject: 'Re: x [#conv_chat_1]', inReplyTo: forged, text: 'one' });
      await mail({ subject: 'Re: x [#conv_chat_1]', inReplyTo: unsent, text: 'two' });
      expect(events.map((event) => event.threadedBy)).toEqual(['new_thread', 'new_thread']);
      expect(await messagesOf('conv_chat_1')).toEqual([]);
      expect((await alerts()).map((alert) => alert.detail.reasons)).toEqual([
        ['invalid_reply_token'],
        ['invalid_reply_token'],
      ]);
    });

    it('a follow-up referring only to the customer’s own earlier mail starts a new conversation', async () => {
      await mail({ subject: 'Export broken', messageId: '<first@brightpath.io>', text: 'It fails.' });
      await mail({
        subject: 'Re: Export broken',
        inReplyTo: '<first@brightpath.io>',
        references: ['<first@brightpath.io>'],
        text: 'Still failing.',
      });
      expect(events[1]).toMatchObject({ threadedBy: 'new_thread', newConversation: true });
      expect(events[1]!.conversationId).not.toBe(events[0]!.conversationId);
      expect((await alerts())[0]).toMatchObject({
        conversation_id: events[0]!.conversationId,
        detail: expect.objectContaining({ reasons: ['no_reply_token'] }),
      });
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
      const send = createEmailConnector({ db: database.pool, transport, replyTokens }).operations.send!;
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

      // And the customer's answer to it comes back into this conversation.
      await mail({ subject: `Re: ${sent[0]!.subject}`, inReplyTo: sent[0]!.messageId, text: 'Thanks!' });
      expect(events[1]).toMatchObject({ conversationId, threadedBy: 'reply_token' });
    });
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

  it('answers 451 while the database is down', async () => {
    const unreachable = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'x', connectionTimeoutMillis: 2000 });
    const errors: unknown[] = [];
    const down = createInboundSmtpServer({
      db: unreachable,
      replyTokens,
      store: storeInboundEmail,
      resolver,
      onMessage: () => {},
      onError: (error) => errors.push(error),
    });
    const address = await down.listen();
    const sender = nodemailer.createTransport({ host: '127.0.0.1', port: address.port, ignoreTLS: true });
    try {
      expect(
        await smtpCode(
          sender.sendMail({ from: 'maya@brightpath.io', to: 'support@lumen.example', text: 'Hi' }),
        ),
      ).toBe(451);
      expect(errors).toHaveLength(1);
    } finally {
      sender.close();
      await down.close();
      await unreachable.end();
    }
  });

  it('refuses a NUL byte or text without a UTF-8 form for good (554), storing nothing', async () => {
    const envelope = { from: 'maya@brightpath.io', to: ['support@lumen.example'] };
    const nulInHeader =
      'From: maya@brightpath.io\r\nSubject: a\u0000b\r\nMessage-ID: <nul-1@x>\r\n\r\nHi\r\n';
    const rejected = await client.sendMail({ envelope, raw: nulInHeader }).catch((error: unknown) => error);
    expect(rejected).toMatchObject({ responseCode: 554, response: expect.stringContaining('NUL byte') });
    const nulInText = await smtpCode(mail({ subject: 'x', text: 'before\u0000after' }));
    const loneSurrogate = await smtpCode(
      client.sendMail({
        envelope,
        raw: 'From: maya@brightpath.io\r\nSubject: =?UTF-16BE?B?2AA=?=\r\n\r\nHi\r\n',
      }),
    );
    expect([nulInText, loneSurrogate]).toEqual([554, 554]);
    expect(events).toHaveLength(0);
    expect((await database.pool.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(0);
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
});

describe(`receiving: what is permanent and what may pass (${testDatabaseKind()})`, () => {
  it('a data error of the database is permanent, a connection failure is not', async () => {
    const dataError = await database.pool.query(`SELECT 'x'::int`).catch((error: unknown) => error);
    expect(isPermanentStorageError(dataError)).toBe(true);
    const unreachable = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'x', connectionTimeoutMillis: 2000 });
    const connectionError = await unreachable.query('SELECT 1').catch((error: unknown) => error);
    await unreachable.end();
    expect(isPermanentStorageError(connectionError)).toBe(false);
  });

  it('receiveInboundEmail refuses unstorable mail before touching the database', async () => {
    const raw = Buffer.from('From: maya@brightpath.io\r\nSubject: hi\r\n\r\nzero \u0000 here\r\n');
    const broken = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'x', connectionTimeoutMillis: 2000 });
    try {
      expect(
        await receiveInboundEmail(broken, raw, {}, { replyTokens, store: storeInboundEmail, resolver }),
      ).toEqual({
        ok: false,
        responseCode: 554,
        message: '5.6.0 Message contains a NUL byte',
      });
    } finally {
      await broken.end();
    }
    // The store alone would have met the database's refusal (the parse check is what prevents it).
    const parsed = await parseInboundEmail(
      Buffer.from('From: maya@brightpath.io\r\nSubject: hi\r\n\r\nok\r\n'),
    );
    if (!parsed.ok) throw new Error('test mail should parse');
    expect(parsed.email.text).toBe('ok');
    await expect(
      storeInboundEmail(
        database.pool,
        { ...parsed.email, subject: 'bad \ud800' },
        {
          replyTokens,
          mailAuth: {
            dmarc: 'none',
            spf: 'none',
            dkim: 'none',
            aligned: false,
            from_domain: 'brightpath.io',
            authentication_results: mta,
          },
        },
      ),
    ).rejects.toSatisfy(isPermanentStorageError);
  });
});
