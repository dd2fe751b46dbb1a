import type pg from 'pg';
import type { Logger } from 'pino';
import { parseInboundEmail } from '../connectors/email/inbound/parse.ts';
import { type StoredInboundEmail, storeInboundEmail } from '../connectors/email/inbound/store.ts';
import type { JobQueue, ParsedJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';
import { consoleChannel, conversationChannel, type EventBus, type LiveMessage } from './live-events.ts';

/** What the inbound-email job needs. */
export interface InboundEmailJobDependencies {
  pool: pg.Pool;
  jobs: JobQueue;
  bus: EventBus;
  logger?: Logger;
}

/**
 * Turns a received mail into a customer message and an agent turn: parse, store (threading and
 * redelivery de-duplication are the store's), mark the message's turn pending, enqueue the turn.
 * A mail that cannot be parsed fails for good. A retry after a crash between store and enqueue finds
 * the stored message (a duplicate) and still marks and enqueues its turn, unless it was answered.
 */
export async function handleInboundEmail(
  deps: InboundEmailJobDependencies,
  payload: ParsedJobPayload<'email.inbound'>,
): Promise<StoredInboundEmail & { turnPending: boolean }> {
  const parsed = await parseInboundEmail(Buffer.from(payload.raw, 'utf8'));
  if (!parsed.ok) throw new PermanentJobError(`inbound email rejected: ${parsed.message}`);
  const stored = await storeInboundEmail(deps.pool, parsed.email);
  const turnPending = await owedTurnOf(deps, stored, parsed.email.text);
  deps.logger?.info(
    {
      conversationId: stored.conversationId,
      messageId: stored.messageId,
      threadedBy: stored.threadedBy,
      duplicate: stored.duplicate,
      turnPending,
      receivedAt: payload.receivedAt,
    },
    'inbound email stored',
  );
  return { ...stored, turnPending };
}

/**
 * A stored inbound mail owes the agent a turn unless it was answered: marks its turn pending, queues
 * it, and announces the message. Also used by the inbound SMTP server, which stores mail itself.
 */
export async function owedTurnOf(
  deps: InboundEmailJobDependencies,
  stored: StoredInboundEmail,
  text: string,
): Promise<boolean> {
  // The store leaves turn_status NULL; a message nobody answered yet (no reply after it) owes a turn.
  // Later customer mails do not count: two mails of one thread may be stored by two workers at once.
  const { rows } = await deps.pool.query<{ turn_status: string | null; created_at: Date; metadata: object }>(
    `UPDATE messages m SET turn_status = 'pending'
      WHERE m.id = $1 AND m.turn_status IS NULL
        AND NOT EXISTS (SELECT 1 FROM messages later WHERE later.conversation_id = m.conversation_id AND later.id > m.id
                           AND later.role <> 'customer')
      RETURNING turn_status, created_at, metadata`,
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
      text: text,
      metadata: marked.metadata as Record<string, unknown>,
      createdAt: new Date(marked.created_at).toISOString(),
    };
    const event = { kind: 'message' as const, conversationId: stored.conversationId, message };
    await deps.bus.publish(conversationChannel(stored.conversationId), event);
    await deps.bus.publish(consoleChannel, event);
  }
  return turnPending;
}
