import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmailDispatcher } from '../connectors/email/dispatcher.ts';
import { parseInboundEmail } from '../connectors/email/inbound/parse.ts';
import type { InboundMailOptions } from '../connectors/email/inbound/receive.ts';
import {
  createDkimKey,
  signWithDkim,
  stubResolver,
  testReplyTokens,
} from '../connectors/email/inbound/test-support.ts';
import { mailAuthOf } from '../connectors/email/inbound/verdict.ts';
import { emailTestWorld } from '../connectors/email/test-support.ts';
import type { EmailTransport, OutgoingEmail } from '../connectors/email/transport.ts';
import { storeInboundEmail } from '../conversations/email-intake.ts';
import {
  consoleChannel,
  conversationChannel,
  type EventBus,
  type LiveEvent,
} from '../conversations/live-events.ts';
import type { Database } from '../db/database.ts';
import { clearWorld, loadWorld } from '../db/world/load-world.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { type JobHandlers, parseJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';
import { createJobHandlers } from './handlers.ts';
import { createInProcessEventBus } from './in-process-event-bus.ts';
import { createInProcessJobs, type InProcessJobs } from './in-process-jobs.ts';
import { testHandlers } from './testing/handlers.ts';

let database: Database;
let bus: EventBus;
let jobs: InProcessJobs;
let handlers: JobHandlers;
let sent: OutgoingEmail[];
let drained: string[];
let events: Array<{ channel: string; event: LiveEvent }>;
let inboundMail: InboundMailOptions;
let brightpathKey: ReturnType<typeof createDkimKey>;

/** A transport standing in for the mail server: records what it is given. */
const recordingTransport: EmailTransport = {
  kind: 'file',
  async send(email) {
    sent.push(email);
  },
  async verify() {
    return { ok: true, detail: 'recording' };
  },
  close() {},
};

const context = { jobId: 'test', attempt: 1, signal: new AbortController().signal };

beforeAll(async () => {
  database = await createTestDatabase();
  brightpathKey = createDkimKey();
  // DNS answers for mail authentication come from this stub, never the network.
  inboundMail = {
    replyTokens: testReplyTokens(),
    store: storeInboundEmail,
    mta: 'mx.lumen.example',
    resolver: stubResolver({
      'sb._domainkey.brightpath.io TXT': [brightpathKey.record],
      '_dmarc.brightpath.io TXT': ['v=DMARC1; p=reject'],
      'brightpath.io TXT': ['v=spf1 ip4:203.0.113.5 -all'],
    }).resolver,
  };
  bus = createInProcessEventBus();
  // The queue the inbound handler enqueues turns on; its agent.turn stands in for the turn processor
  // by marking the conversation's pending turns done.
  jobs = createInProcessJobs({
    handlers: testHandlers({
      'agent.turn': async ({ conversationId }) => {
        drained.push(conversationId);
        await database.pool.query(
          `UPDATE messages SET turn_status = 'done' WHERE conversation_id = $1 AND turn_status = 'pending'`,
          [conversationId],
        );
      },
    }),
  });
  handlers = createJobHandlers({
    pool: database.pool,
    switchboard: { dispatcher: createEmailDispatcher({ db: database.pool, transport: recordingTransport }) },
    bus,
    jobs,
    inboundMail,
    turns: {
      handleTurn: async () => {},
      recoverPendingTurns: async () => [],
    },
  });
});
afterAll(async () => {
  await jobs?.close();
  await bus?.close();
  await database?.close();
});
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, emailTestWorld);
  sent = [];
  drained = [];
  events = [];
});

async function listen(channel: string) {
  return bus.subscribe(channel, (event) => events.push({ channel, event }));
}

async function openEscalation(
  id: string,
  priority: string,
  status = 'open',
  slaDue = "now() - interval '1 minute'",
) {
  await database.pool.query(
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status)
     VALUES ($1, 'chat', 'ct_1', 'acc_1', true, 'escalated') ON CONFLICT DO NOTHING`,
    [`conv_${id}`],
  );
  await database.pool.query(
    `INSERT INTO escalations (id, conversation_id, reason, priority, status, packet, sla_due_at)
     VALUES ($1, $2, 'customer_requested', $3, $4, '{}', ${slaDue})`,
    [id, `conv_${id}`, priority, status],
  );
}

const escalation = async (id: string) =>
  (
    await database.pool.query<{ priority: string; sla_breached_at: Date | null }>(
      'SELECT priority, sla_breached_at FROM escalations WHERE id = $1',
      [id],
    )
  ).rows[0]!;

describe("'escalation.sla' handler", () => {
  it('raises an unclaimed escalation one step, marks it breached and tells the console and the conversation', async () => {
    await openEscalation('esc_1', 'normal');
    const unsubscribers = [await listen(consoleChannel), await listen(conversationChannel('conv_esc_1'))];
    await handlers['escalation.sla']({ escalationId: 'esc_1' }, context);
    expect(await escalation('esc_1')).toMatchObject({ priority: 'high', sla_breached_at: expect.any(Date) });
    const expected = {
      kind: 'escalation',
      conversationId: 'conv_esc_1',
      escalationId: 'esc_1',
      change: 'sla_breached',
    };
    expect(events).toEqual([
      { channel: consoleChannel, event: expected },
      { channel: conversationChannel('conv_esc_1'), event: expected },
    ]);
    // A second firing (a retry, a duplicate timer) changes nothing.
    await handlers['escalation.sla']({ escalationId: 'esc_1' }, context);
    expect((await escalation('esc_1')).priority).toBe('high');
    expect(events).toHaveLength(2);
    for (const unsubscribe of unsubscribers) await unsubscribe();
  });

  it('raises low to normal and keeps urgent urgent', async () => {
    await openEscalation('esc_low', 'low');
    await openEscalation('esc_urgent', 'urgent');
    await handlers['escalation.sla']({ escalationId: 'esc_low' }, context);
    await handlers['escalation.sla']({ escalationId: 'esc_urgent' }, context);
    expect((await escalation('esc_low')).priority).toBe('normal');
    expect(await escalation('esc_urgent')).toMatchObject({
      priority: 'urgent',
      sla_breached_at: expect.any(Date),
    });
  });

  it('leaves a claimed escalation, one whose deadline moved later, and an unknown id alone', async () => {
    await openEscalation('esc_claimed', 'normal', 'claimed');
    await openEscalation('esc_later', 'normal', 'open', "now() + interval '10 minutes'");
    const unsubscribe = await listen(consoleChannel);
    await handlers['escalation.sla']({ escalationId: 'esc_claimed' }, context);
    await handlers['escalation.sla']({ escalationId: 'esc_later' }, context);
    await handlers['escalation.sla']({ escalationId: 'esc_missing' }, context);
    expect(await escalation('esc_claimed')).toEqual({ priority: 'normal', sla_breached_at: null });
    expect(await escalation('esc_later')).toEqual({ priority: 'normal', sla_breached_at: null });
    expect(events).toEqual([]);
    await unsubscribe();
  });
});

const rawMail = (messageId: string, body = 'My invoice is wrong, can you check it?') =>
  [
    'From: Maya Chen <maya@brightpath.io>',
    'To: support@lumen.example',
    'Subject: Invoice question',
    `Message-ID: ${messageId}`,
    'Date: Fri, 20 Nov 2026 09:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');

const customerMessages = async () =>
  (
    await database.pool.query<{ conversation_id: string; body: string; turn_status: string | null }>(
      `SELECT conversation_id, body, turn_status FROM messages WHERE role = 'customer' ORDER BY id`,
    )
  ).rows;

describe("'email.inbound' handler", () => {
  it('stores the mail as a pending customer message, announces it and enqueues its agent turn', async () => {
    const unsubscribe = await listen(consoleChannel);
    await handlers['email.inbound'](
      { raw: rawMail('<m1@brightpath.io>'), receivedAt: '2026-11-20T09:00:01Z' },
      context,
    );
    await jobs.drain();
    const [message] = await customerMessages();
    // 'done': the stand-in turn processor found it pending and answered it.
    expect(message).toMatchObject({ body: 'My invoice is wrong, can you check it?', turn_status: 'done' });
    expect(drained).toEqual([message!.conversation_id]);
    expect(events).toEqual([
      {
        channel: consoleChannel,
        event: expect.objectContaining({ kind: 'message', conversationId: message!.conversation_id }),
      },
    ]);
    await unsubscribe();
  });

  it('stores a redelivered mail once and enqueues no second turn once the first was answered', async () => {
    const payload = { raw: rawMail('<m2@brightpath.io>'), receivedAt: '2026-11-20T09:00:01Z' };
    await handlers['email.inbound'](payload, context);
    await jobs.drain();
    await handlers['email.inbound'](payload, context);
    await jobs.drain();
    expect(await customerMessages()).toHaveLength(1);
    expect(drained).toHaveLength(1);
  });

  it('still owes the turn of a mail stored by an attempt that crashed before enqueueing it', async () => {
    const raw = rawMail('<m3@brightpath.io>');
    const parsed = await parseInboundEmail(Buffer.from(raw));
    if (!parsed.ok) throw new Error('test mail should parse');
    await storeInboundEmail(database.pool, parsed.email, {
      replyTokens: inboundMail.replyTokens,
      mailAuth: {
        dmarc: 'fail',
        spf: 'none',
        dkim: 'none',
        aligned: false,
        from_domain: 'brightpath.io',
        authentication_results: 'mx.lumen.example; dmarc=fail',
      },
    });
    expect((await customerMessages())[0]?.turn_status).toBeNull();
    await handlers['email.inbound']({ raw, receivedAt: '2026-11-20T09:00:01Z' }, context);
    await jobs.drain();
    expect(drained).toHaveLength(1);
    expect((await customerMessages())[0]?.turn_status).toBe('done');
  });

  it('authenticates the mail: SPF with the SMTP client the payload names, DKIM and DMARC always', async () => {
    const storedVerdict = async (messageId: string) =>
      mailAuthOf(
        (await database.pool.query('SELECT metadata FROM messages WHERE client_message_id = $1', [messageId]))
          .rows[0].metadata,
      );
    const receivedAt = '2026-11-20T09:00:01Z';
    // An older payload: no SMTP client, so no SPF; unsigned, so DMARC fails.
    await handlers['email.inbound']({ raw: rawMail('<a1@brightpath.io>'), receivedAt }, context);
    expect(await storedVerdict('<a1@brightpath.io>')).toMatchObject({
      spf: 'none',
      dmarc: 'fail',
      aligned: false,
    });
    // The client was brightpath.io's own server: SPF passes and aligns.
    await handlers['email.inbound'](
      {
        raw: rawMail('<a2@brightpath.io>'),
        receivedAt,
        ip: '203.0.113.5',
        helo: 'mx.brightpath.io',
        mailFrom: 'maya@brightpath.io',
      },
      context,
    );
    expect(await storedVerdict('<a2@brightpath.io>')).toMatchObject({
      spf: 'pass',
      dmarc: 'pass',
      aligned: true,
    });
    // Signed by brightpath.io: DKIM aligns without any SMTP client.
    const raw = await signWithDkim(rawMail('<a3@brightpath.io>'), 'brightpath.io', brightpathKey.privateKey);
    await handlers['email.inbound']({ raw, receivedAt }, context);
    expect(await storedVerdict('<a3@brightpath.io>')).toMatchObject({
      dkim: 'pass',
      dmarc: 'pass',
      aligned: true,
    });
  });

  it('takes payloads without the SMTP client fields and refuses a malformed client address', () => {
    expect(parseJobPayload('email.inbound', { raw: 'x', receivedAt: '2026-11-20T09:00:00Z' })).toEqual({
      raw: 'x',
      receivedAt: '2026-11-20T09:00:00Z',
    });
    expect(() =>
      parseJobPayload('email.inbound', { raw: 'x', receivedAt: '2026-11-20T09:00:00Z', ip: 'not-an-ip' }),
    ).toThrow();
  });

  it('fails a mail with a NUL byte for good, storing nothing', async () => {
    const raw = rawMail('<nul@brightpath.io>', 'before\u0000after');
    const failure = await handlers['email.inbound'](
      { raw, receivedAt: '2026-11-20T09:00:01Z' },
      context,
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect((failure as Error).message).toContain('554 5.6.0 Message contains a NUL byte');
    expect(await customerMessages()).toEqual([]);
  });

  it('fails a mail without a From address for good, storing nothing', async () => {
    const raw = 'To: support@lumen.example\r\nSubject: who am I\r\nMessage-ID: <m4@x>\r\n\r\nhello\r\n';
    await expect(
      handlers['email.inbound']({ raw, receivedAt: '2026-11-20T09:00:01Z' }, context),
    ).rejects.toThrow(PermanentJobError);
    expect(await customerMessages()).toEqual([]);
  });
});

describe("'email.outbound' handler", () => {
  it('delivers the due outbox rows once', async () => {
    await database.pool.query(
      `INSERT INTO email_outbox (id, message_id, to_address, from_address, subject, text_body)
       VALUES ('out_1', '<out_1@lumen.example>', 'maya@brightpath.io', 'support@lumen.example', 'Your refund', 'Done.')`,
    );
    await handlers['email.outbound']({ reason: 'tick' }, context);
    await handlers['email.outbound']({ reason: 'tick' }, context);
    expect(sent.map((email) => email.messageId)).toEqual(['<out_1@lumen.example>']);
    const { rows } = await database.pool.query(`SELECT status FROM email_outbox WHERE id = 'out_1'`);
    expect(rows[0]?.status).toBe('sent');
  });
});

describe("'agent.turn' and 'maintenance.recover-turns' handlers", () => {
  it('drive the turn runner', async () => {
    const calls: string[] = [];
    const withTurns = createJobHandlers({
      pool: database.pool,
      switchboard: {
        dispatcher: createEmailDispatcher({ db: database.pool, transport: recordingTransport }),
      },
      bus,
      jobs,
      inboundMail,
      turns: {
        handleTurn: async (conversationId) => {
          calls.push(`drain:${conversationId}`);
        },
        recoverPendingTurns: async (olderThanMs) => {
          calls.push(`recover:${olderThanMs}`);
          return [];
        },
      },
    });
    await withTurns['agent.turn']({ conversationId: 'conv_1' }, context);
    await withTurns['maintenance.recover-turns']({ olderThanMs: 10_000 }, context);
    expect(calls).toEqual(['drain:conv_1', 'recover:10000']);
  });
});
