import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ConversationSnapshot, SupportAgent } from '../agent/agent.ts';
import type { AgentEvent, CustomerSession } from '../agent/events.ts';
import { type TurnInput, turnInputSchema } from '../agent/turn-input.ts';
import { isAlignedDmarcPass } from '../connectors/email/inbound/verdict.ts';
import { withTransaction } from '../db/database.ts';
import { csatState } from './csat.ts';
import { consoleChannel, conversationChannel, type EventBus, liveMessageOf } from './live-events.ts';
import type { ConversationLock } from './lock.ts';
import {
  type createConversationStore,
  repliesOfTurn,
  type Status,
  type VerificationColumns,
  verificationOf,
} from './store.ts';

/** Where the turns module puts work for later (the job queue, in app/ wiring). */
export interface TurnScheduler {
  /** Runs the conversation's pending turns on a worker (`jobId` de-duplicates). */
  scheduleTurns(conversationId: string, jobId: string): Promise<void>;
  /** Checks an escalation's SLA after `delayMs`. */
  scheduleSlaCheck(escalationId: string, delayMs: number): Promise<void>;
}

/** While a human has (or will take) the conversation, the agent never talks over them. */
const silentStatuses: readonly Status[] = ['escalated', 'claimed', 'waiting_approval'];

/** Runs a customer's turn unless a human has the conversation; the turn's end says where it stands. */
export async function* customerTurn(
  agent: Pick<SupportAgent, 'handleMessage'>,
  conversationId: string,
  input: TurnInput,
  session: CustomerSession,
  turn: Parameters<SupportAgent['handleMessage']>[3],
): AsyncGenerator<AgentEvent> {
  if (silentStatuses.includes(turn.conversation.status)) {
    yield { type: 'turn-end', status: turn.conversation.status };
    return;
  }
  yield* agent.handleMessage(conversationId, input, session, turn);
}

export interface TurnProcessorOptions {
  pool: pg.Pool;
  agent: SupportAgent;
  store: Pick<ReturnType<typeof createConversationStore>, 'recordTurnEnd'>;
  bus: EventBus;
  lock: ConversationLock;
  /** With a queue: one turn per job, the next one and the escalation SLA timers scheduled. */
  scheduler?: TurnScheduler;
  /** Where the replies of an email conversation are queued for delivery (the email outbox). */
  mail?: ConversationMailer;
  /**
   * The signed "How did we do?" link of a conversation (conversations/csat-link.ts): added to an
   * emailed reply once the conversation is answered or resolved and not yet rated.
   */
  csatLink?: (conversationId: string) => string;
  logger?: Logger;
  /** A stored message whose turn was started this many times without finishing is given up on. */
  maxAttempts?: number;
  /** Minutes an open escalation may wait unclaimed, per priority. */
  slaMinutes?: Record<'low' | 'normal' | 'high' | 'urgent', number>;
}

/** The oldest pending message of a conversation, with the conversation's row: the turn's one read of it. */
interface PendingRow extends VerificationColumns {
  id: string;
  role: 'customer' | 'system' | 'agent' | 'human';
  body: string;
  metadata: Record<string, unknown>;
  turn_attempts: number;
  status: Status;
  subject: string | null;
}

/** Queues a reply of an email conversation as mail to the contact (connectors/email `createOutbox` fits). */
export interface ConversationMailer {
  enqueue(message: {
    contactId: string;
    verified: boolean;
    conversationId: string;
    template: 'conversation_reply';
    variables: { paragraphs: string[]; author: string; subject?: string; rateUrl?: string };
    idempotencyKey: string;
  }): Promise<unknown>;
}

const defaultSla = { low: 240, normal: 60, high: 15, urgent: 5 };

/**
 * Who a stored message speaks for. A chat message speaks for the conversation's token-verified
 * contact (a code verified earlier is read from the conversation by the agent's identify step). An
 * email speaks only for itself, whatever channel the conversation began in: its sender (the
 * conversation's contact, as threading guarantees) when it passed aligned DMARC, for reads only;
 * otherwise nobody known, an unverified visitor. It never carries a token's verification.
 */
export function sessionOf(
  row: Pick<PendingRow, 'metadata' | 'contact_id' | 'verified' | 'verified_by'>,
): CustomerSession {
  if (row.metadata.channel === 'email') {
    const proven = isAlignedDmarcPass(row.metadata) && row.contact_id !== null;
    return {
      contactId: proven ? row.contact_id : null,
      verified: false,
      channel: 'email',
      ...(proven ? { mailboxProven: true } : {}),
    };
  }
  return {
    contactId: row.verified_by === 'token' ? row.contact_id : null,
    verified: row.verified_by === 'token' && row.verified,
    channel: 'chat',
    ...(row.verified_by === 'token' ? { verifiedBy: 'token' as const } : {}),
  };
}

const codeHashes = z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(20);

/** The hashes of the one-time codes masked in a stored message (db/one-time-codes.ts). */
const codeHashesOf = (metadata: Record<string, unknown>): string[] => {
  const parsed = codeHashes.safeParse(metadata.code_hashes);
  return parsed.success ? parsed.data : [];
};

/**
 * A stored customer message's turn input: a button press keeps its structured input in metadata
 * `input` (its code only masked); a row without one (a typed message, an email) is the message its
 * body says. An input that does not validate fails the turn (retried, then left for a human): its
 * body is a button's words, which must never be classified as if typed.
 */
export function turnInputOf(row: Pick<PendingRow, 'id' | 'body' | 'metadata'>): TurnInput {
  if (row.metadata.input === undefined) return { kind: 'message', text: row.body };
  const parsed = turnInputSchema.safeParse(row.metadata.input);
  if (!parsed.success)
    throw new Error(
      `message ${row.id} has an invalid turn input: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
    );
  return parsed.data;
}

/**
 * The turns of conversations, as the workers run them. The API stores each input first (a customer
 * message or button press, a human's decision) as a pending message; `handleTurn` then runs the
 * conversation's pending turns in id order, one at a time, under the conversation's one lock: it
 * reads the conversation's row once per turn (with the message), hands the agent that snapshot,
 * writes the row once when the turn ends (with the turn recorded done) and publishes the turn's
 * events. A turn left 'running' by a crashed worker is run again; every write and reply of the replay
 * is idempotent.
 */
export function createTurnProcessor(options: TurnProcessorOptions) {
  const { pool, agent, bus, lock } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const slaMinutes = options.slaMinutes ?? defaultSla;

  async function nextPending(conversationId: string): Promise<PendingRow | undefined> {
    const { rows } = await pool.query<PendingRow>(
      `SELECT m.id::text AS id, m.role, m.body, m.metadata, m.turn_attempts,
              c.status, c.subject, c.channel, c.contact_id, c.verified, c.verified_by, c.verified_channel, c.verified_at
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
    await options.scheduler?.scheduleSlaCheck(escalationId, delayMs);
  }

  /**
   * The replies this turn stored: announced once the turn is over (the console and reconnecting
   * widgets read these) and, in an email conversation, mailed to the customer as one message.
   */
  async function deliverReplies(conversationId: string, row: PendingRow): Promise<void> {
    const rows = await repliesOfTurn(pool, conversationId, row.id);
    for (const stored of rows) {
      const message = liveMessageOf(stored);
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
      const rateUrl =
        options.csatLink && (await csatState(pool, conversationId)).kind === 'open'
          ? options.csatLink(conversationId)
          : undefined;
      await options.mail.enqueue({
        contactId: row.contact_id,
        verified: row.verified,
        conversationId,
        template: 'conversation_reply',
        variables: {
          paragraphs: replies,
          author: 'Lumen Cloud Support',
          ...(row.subject ? { subject: row.subject } : {}),
          ...(rateUrl ? { rateUrl } : {}),
        },
        // Once per turn, even when the turn is replayed after a crash.
        idempotencyKey: `${conversationId}:reply:${row.id}`,
      });
    }
  }

  async function runTurn(
    conversationId: string,
    row: PendingRow,
  ): Promise<Extract<AgentEvent, { type: 'turn-end' }> | null> {
    const conversation: ConversationSnapshot = { status: row.status, verification: verificationOf(row) };
    const events =
      row.role === 'customer'
        ? customerTurn(agent, conversationId, turnInputOf(row), sessionOf(row), {
            turnId: row.id,
            conversation,
            message: row.body,
            codeHashes: codeHashesOf(row.metadata),
          })
        : agent.decideApproval(
            conversationId,
            {
              approved: row.metadata.approved === true,
              decidedBy: String(row.metadata.decidedBy ?? 'unknown'),
              // Only what the customer may read goes to the agent; the internal reason stays in the record.
              ...(typeof row.metadata.customerMessage === 'string'
                ? { customerMessage: row.metadata.customerMessage }
                : {}),
              ...(typeof row.metadata.actionKey === 'string' ? { actionKey: row.metadata.actionKey } : {}),
            },
            { turnId: row.id, conversation },
          );
    let end: Extract<AgentEvent, { type: 'turn-end' }> | null = null;
    for await (const event of events) {
      // The turn's end is announced only once the turn is recorded done (see handleTurn).
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
    async handleTurn(conversationId: string): Promise<void> {
      /** With a queue: the conversation's next pending message after this job's one turn. */
      const next = await lock.run(conversationId, async (): Promise<string | null> => {
        for (;;) {
          const row = await nextPending(conversationId);
          if (!row) return null;
          if (row.turn_attempts >= maxAttempts) {
            await giveUp(conversationId, row);
            continue;
          }
          await pool.query(
            `UPDATE messages SET turn_status = 'running', turn_attempts = turn_attempts + 1 WHERE id = $1`,
            [row.id],
          );
          const end = await runTurn(conversationId, row);
          // The turn's one write of the conversation row, with the turn recorded done. The same
          // statement reads the conversation's next pending message (its snapshot still shows this
          // one pending, hence `<>`): one statement less per turn than reading it after the lock
          // (docs/api-benchmark.md). A message stored later has its own job, waiting on the lock.
          const following = await withTransaction(pool, async (client) => {
            const { rows } = await client.query<{ next_id: string | null }>(
              `UPDATE messages SET turn_status = 'done', turn_finished_at = now() WHERE id = $1
               RETURNING (SELECT n.id::text FROM messages n
                           WHERE n.conversation_id = $2 AND n.turn_status IN ('pending','running') AND n.id <> $1
                           ORDER BY n.id LIMIT 1) AS next_id`,
              [row.id, conversationId],
            );
            if (end) await options.store.recordTurnEnd(conversationId, row.status, end, client);
            return rows[0]?.next_id ?? null;
          });
          // After the row says done: whoever sees the turn end (a stream, a resend) finds it done.
          if (end) await publishTurnEvent(conversationId, row.id, end);
          await deliverReplies(conversationId, row);
          // With a queue, one turn per job: a customer who answers at once goes to the back of the
          // queue instead of holding a worker while other conversations wait (measured in bench/api).
          if (options.scheduler) return following;
        }
      });
      if (next) await options.scheduler!.scheduleTurns(conversationId, `turn-${next}`);
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
        await options.scheduler?.scheduleTurns(conversationId, `recover-${conversationId}-${Date.now()}`);
      }
      return ids;
    },
  };
}

export type TurnProcessor = ReturnType<typeof createTurnProcessor>;
