import type pg from 'pg';
import type { Logger } from 'pino';
import type { StoredInboundEmail } from '../connectors/email/inbound/receive.ts';
import { type InboundMailOptions, receiveInboundEmail } from '../connectors/email/inbound/receive.ts';
import type { MailAuthVerdict } from '../connectors/email/inbound/verdict.ts';
import {
  consoleChannel,
  conversationChannel,
  type EventBus,
  type LiveMessage,
} from '../conversations/live-events.ts';
import type { JobQueue, ParsedJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';

/** What the inbound-email job needs. */
export interface InboundEmailJobDependencies {
  pool: pg.Pool;
  jobs: JobQueue;
  bus: EventBus;
  logger?: Logger;
  /** Reply-token keys and DNS resolver of mail authentication (connectors/email/inbound/receive.ts). */
  mail: InboundMailOptions;
}

/**
 * Turns a received mail into a customer message and an agent turn: parse, authenticate (SPF with the
 * payload's SMTP client when it has one, DKIM, DMARC), store (threading and redelivery
 * de-duplication are the store's), mark the message's turn pending, enqueue the turn. A mail that
 * can never be stored (unparseable, no From, a NUL byte, …) fails for good. A retry after a crash
 * between store and enqueue finds the stored message (a duplicate) and still marks and enqueues its
 * turn, unless it was answered.
 */
export async function handleInboundEmail(
  deps: InboundEmailJobDependencies,
  payload: ParsedJobPayload<'email.inbound'>,
): Promise<StoredInboundEmail & { turnPending: boolean; mailAuth: MailAuthVerdict }> {
  const received = await receiveInboundEmail(
    deps.pool,
    Buffer.from(payload.raw, 'utf8'),
    {
      ...(payload.ip ? { ip: payload.ip } : {}),
      ...(payload.helo ? { helo: payload.helo } : {}),
      ...(payload.mailFrom ? { mailFrom: payload.mailFrom } : {}),
    },
    deps.mail,
  );
  if (!received.ok)
    throw new PermanentJobError(`inbound email rejected: ${received.responseCode} ${received.message}`);
  const { stored, mailAuth } = received;
  const turnPending = await owedTurnOf(deps, stored);
  deps.logger?.info(
    {
      conversationId: stored.conversationId,
      messageId: stored.messageId,
      threadedBy: stored.threadedBy,
      duplicate: stored.duplicate,
      dmarc: mailAuth.dmarc,
      aligned: mailAuth.aligned,
      // A machine's mail (auto-reply, bounce, our own coming back) is stored with no turn: never answered.
      ...(received.email.loop ? { loop: received.email.loop } : {}),
      textExtraction: received.email.extraction,
      turnPending,
      receivedAt: payload.receivedAt,
    },
    'inbound email stored',
  );
  if (stored.refusedThreads.length > 0) {
    deps.logger?.warn(
      { conversationId: stored.conversationId, refused: stored.refusedThreads },
      'an inbound email named a conversation it may not join (audit_log: inbound.thread_refused)',
    );
  }
  return { ...stored, turnPending, mailAuth };
}

/**
 * A stored inbound mail owes the agent a turn unless it was answered: marks its turn pending, queues
 * it, and announces the message. Also used by the inbound SMTP server, which stores mail itself.
 */
export async function owedTurnOf(
  deps: Omit<InboundEmailJobDependencies, 'mail'>,
  stored: StoredInboundEmail,
): Promise<boolean> {
  // The store leaves turn_status NULL; a message nobody answered yet (no reply after it) owes a turn.
  // Later customer mails do not count: two mails of one thread may be stored by two workers at once.
  const { rows } = await deps.pool.query<{
    turn_status: string | null;
    created_at: Date;
    metadata: object;
    body: string;
  }>(
    `UPDATE messages m SET turn_status = 'pending'
      WHERE m.id = $1 AND m.turn_status IS NULL
        AND NOT EXISTS (SELECT 1 FROM messages later WHERE later.conversation_id = m.conversation_id AND later.id > m.id
                           AND later.role <> 'customer')
      RETURNING turn_status, created_at, metadata, body`,
    [stored.messageId],
  );
  const marked = rows[0];
  const { rows: current } = await deps.pool.query<{ turn_status: string | null }>(
    'SELECT turn_status FROM messages WHERE id = $1',
    [stored.messageId],
  );
  const turnPending = current[0]?.turn_status === 'pending';
  if (turnPending) {
    await deps.jobs.enqueue(
      'agent.turn',
      { conversationId: stored.conversationId },
      { jobId: `turn-${stored.messageId}` },
    );
  }
  if (marked) {
    const message: LiveMessage = {
      id: stored.messageId,
      role: 'customer',
      // The stored text, one-time codes masked: never the mail as received.
      text: marked.body,
      metadata: marked.metadata as Record<string, unknown>,
      createdAt: new Date(marked.created_at).toISOString(),
    };
    const event = { kind: 'message' as const, conversationId: stored.conversationId, message };
    await deps.bus.publish(conversationChannel(stored.conversationId), event);
    await deps.bus.publish(consoleChannel, event);
  }
  return turnPending;
}
