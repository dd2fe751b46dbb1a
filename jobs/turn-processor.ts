import type pg from 'pg';
import type { Logger } from 'pino';
import type { SupportAgent } from '../agent/agent.ts';
import type { AgentEvent, CustomerSession } from '../agent/events.ts';
import type { JobQueue } from './catalog.ts';
import type { ConversationLock } from './conversation-lock.ts';
import { consoleChannel, conversationChannel, type EventBus, type LiveMessage } from './live-events.ts';

export interface TurnProcessorOptions {
  pool: pg.Pool;
  agent: SupportAgent;
  bus: EventBus;
  lock: ConversationLock;
  /** For escalation SLA timers. */
  jobs?: JobQueue;
  /** Where the replies of an email conversation are queued for delivery (the email outbox). */
  mail?: ConversationMailer;
  logger?: Logger;
  /** A stored message whose turn was started this many times without finishing is given up on. */
  maxAttempts?: number;
  /** Minutes an open escalation may wait unclaimed, per priority. */
  slaMinutes?: Record<'low' | 'normal' | 'high' | 'urgent', number>;
}

interface PendingRow {
  id: string;
  role: 'customer' | 'system' | 'agent' | 'human';
  body: string;
  metadata: Record<string, unknown>;
  turn_attempts: number;
  contact_id: string | null;
  verified: boolean;
  verified_by: 'token' | 'email_code' | null;
  channel: 'chat' | 'email';
}

/** Queues a reply of an email conversation as mail to the contact (connectors/email `createOutbox` fits). */
export interface ConversationMailer {
  enqueue(message: {
    contactId: string;
    verified: boolean;
    conversationId: string;
    template: 'conversation_reply';
    variables: { paragraphs: string[]; author: string; subject?: string };
    idempotencyKey: string;
  }): Promise<unknown>;
}

const defaultSla = { low: 240, normal: 60, high: 15, urgent: 5 };

/**
 * Runs the agent turns the API stored: each pending message of a conversation (a customer message, or a
 * human's approval decision) in id order, one at a time, under the conversation lock. A turn left
 * 'running' by a crashed worker is run again; every write and reply of the replay is idempotent.
 */
export function createTurnProcessor(options: TurnProcessorOptions) {
  const { pool, agent, bus, lock } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const slaMinutes = options.slaMinutes ?? defaultSla;

  async function nextPending(conversationId: string): Promise<PendingRow | undefined> {
    const { rows } = await pool.query<PendingRow>(
      `SELECT m.id::text AS id, m.role, m.body, m.metadata, m.turn_attempts,
              c.contact_id, c.verified, c.verified_by, c.channel
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = $1 AND m.turn_status IN ('pending','running')
        ORDER BY m.id LIMIT 1`,
      [conversationId],
    );
    return rows[0];
  }

  async function publishTurnEvent(conversationId: string, turnId: string, event: AgentEvent): Promise<void> {
    await bus.publish(conversationChannel(conversationId), { kind: 'turn', conversationId, turnId, event });
    if (event.type === 'escalation') {
      await bus.publish(consoleChannel, {
        kind: 'escalation',
        conversationId,
        escalationId: event.escalationId,
        change: 'opened',
      });
      await startSlaTimer(event.escalationId, event.priority);
    }
    if (event.type === 'turn-end') {
      await bus.publish(conversationChannel(conversationId), {
        kind: 'status',
        conversationId,
        status: event.status,
      });
    }
  }

  async function startSlaTimer(escalationId: string, priority: keyof typeof defaultSla): Promise<void> {
    const delayMs = slaMinutes[priority] * 60_000;
    await pool.query(
      `UPDATE escalations SET sla_due_at = now() + ($2::text || ' milliseconds')::interval WHERE id = $1 AND sla_due_at IS NULL`,
      [escalationId, delayMs],
    );
    await options.jobs?.enqueue(
      'escalation.sla',
      { escalationId },
      { jobId: `sla-${escalationId}`, delayMs },
    );
  }

  /**
   * The replies this turn stored: announced once the turn is over (the console and reconnecting
   * widgets read these) and, in an email conversation, mailed to the customer as one message.
   */
  async function deliverReplies(conversationId: string, row: PendingRow): Promise<void> {
    const turnId = row.id;
    const { rows } = await pool.query<{
      id: string;
      role: LiveMessage['role'];
      body: string;
      metadata: Record<string, unknown>;
      created_at: Date;
    }>(
      `SELECT id::text AS id, role, body, metadata, created_at FROM messages
        WHERE conversation_id = $1 AND client_message_id LIKE $2 ORDER BY id`,
      [conversationId, `${turnId}:%`],
    );
    for (const stored of rows) {
      const message: LiveMessage = {
        id: stored.id,
        role: stored.role,
        text: stored.body,
        metadata: stored.metadata,
        createdAt: new Date(stored.created_at).toISOString(),
      };
      await bus.publish(conversationChannel(conversationId), { kind: 'message', conversationId, message });
      await bus.publish(consoleChannel, { kind: 'message', conversationId, message });
    }
    const replies = rows.filter((reply) => reply.role === 'agent').map((reply) => reply.body);
    if (row.channel === 'email' && replies.length > 0 && options.mail) {
      if (!row.contact_id) {
        options.logger?.warn(
          { conversationId },
          'an email conversation without a known contact gets no mailed reply',
        );
        return;
      }
      const subject = await pool.query<{ subject: string | null }>(
        'SELECT subject FROM conversations WHERE id = $1',
        [conversationId],
      );
      await options.mail.enqueue({
        contactId: row.contact_id,
        verified: row.verified,
        conversationId,
        template: 'conversation_reply',
        variables: {
          paragraphs: replies,
          author: 'Lumen Cloud Support',
          ...(subject.rows[0]?.subject ? { subject: subject.rows[0].subject } : {}),
        },
        // Once per turn, even when the turn is replayed after a crash.
        idempotencyKey: `${conversationId}:reply:${turnId}`,
      });
    }
  }

  async function runTurn(conversationId: string, row: PendingRow): Promise<AgentEvent | null> {
    const turn = { turnId: row.id, stored: true };
    const session: CustomerSession = {
      // A code verified earlier is read from the conversation by the agent's identify step.
      contactId: row.verified_by === 'token' ? row.contact_id : null,
      verified: row.verified_by === 'token' && row.verified,
      channel: row.channel,
      ...(row.verified_by === 'token' ? { verifiedBy: 'token' as const } : {}),
    };
    const events =
      row.role === 'customer'
        ? agent.handleMessage(conversationId, row.body, session, turn)
        : agent.decideApproval(
            conversationId,
            {
              approved: row.metadata.approved === true,
              decidedBy: String(row.metadata.decidedBy ?? 'unknown'),
              ...(typeof row.metadata.note === 'string' ? { note: row.metadata.note } : {}),
            },
            turn,
          );
    let end: AgentEvent | null = null;
    for await (const event of events) {
      // The turn's end is announced only once the turn is recorded done (see drainConversation).
      if (event.type === 'turn-end') end = event;
      else await publishTurnEvent(conversationId, row.id, event);
    }
    return end;
  }

  async function giveUp(conversationId: string, row: PendingRow): Promise<void> {
    options.logger?.error(
      { conversationId, messageId: row.id, attempts: row.turn_attempts },
      'a turn kept failing; it is marked failed and the conversation is left for a human',
    );
    await pool.query(`UPDATE messages SET turn_status = 'failed', turn_finished_at = now() WHERE id = $1`, [
      row.id,
    ]);
    await pool.query(
      `INSERT INTO messages (conversation_id, role, body, metadata) VALUES ($1, 'system', $2, $3)`,
      [
        conversationId,
        `The assistant could not process message ${row.id} after ${row.turn_attempts} attempts.`,
        JSON.stringify({ kind: 'turn_failed', messageId: row.id }),
      ],
    );
    await bus.publish(consoleChannel, { kind: 'status', conversationId, status: 'turn_failed' });
  }

  return {
    /**
     * Runs the conversation's oldest pending turn (with a queue; then queues the next one) or all of
     * them in order (without). Safe to call from any number of workers.
     */
    async drainConversation(conversationId: string): Promise<void> {
      const more = await lock.run(conversationId, async () => {
        for (;;) {
          const row = await nextPending(conversationId);
          if (!row) return false;
          if (row.turn_attempts >= maxAttempts) {
            await giveUp(conversationId, row);
            continue;
          }
          await pool.query(
            `UPDATE messages SET turn_status = 'running', turn_attempts = turn_attempts + 1 WHERE id = $1`,
            [row.id],
          );
          const end = await runTurn(conversationId, row);
          await pool.query(
            `UPDATE messages SET turn_status = 'done', turn_finished_at = now() WHERE id = $1`,
            [row.id],
          );
          // After the row says done: whoever sees the turn end (a stream, a resend) finds it done.
          if (end) await publishTurnEvent(conversationId, row.id, end);
          await deliverReplies(conversationId, row);
          // With a queue, one turn per job: a customer who answers at once goes to the back of the
          // queue instead of holding a worker while other conversations wait (measured in bench/api).
          if (options.jobs) return true;
        }
      });
      if (!more) return;
      const next = await nextPending(conversationId);
      if (next) await options.jobs!.enqueue('agent.turn', { conversationId }, { jobId: `turn-${next.id}` });
    },

    /** Conversations with turns pending longer than `olderThanMs` (a lost job, a failed enqueue): re-enqueued. */
    async recoverPendingTurns(olderThanMs: number): Promise<string[]> {
      const { rows } = await pool.query<{ conversation_id: string }>(
        `SELECT DISTINCT conversation_id FROM messages
          WHERE turn_status IN ('pending','running') AND created_at < now() - ($1::text || ' milliseconds')::interval`,
        [olderThanMs],
      );
      const ids = rows.map((row) => row.conversation_id);
      for (const conversationId of ids) {
        await options.jobs?.enqueue(
          'agent.turn',
          { conversationId },
          { jobId: `recover-${conversationId}-${Date.now()}` },
        );
      }
      return ids;
    },
  };
}

export type TurnProcessor = ReturnType<typeof createTurnProcessor>;
