import type pg from 'pg';
import type { Logger } from 'pino';
import type { SupportAgent } from '../agent/agent.ts';
import { withTransaction } from '../db/database.ts';
import { ConversationStateError } from './errors.ts';
import { type LiveEvent, type LiveMessage, liveMessageOf } from './live-events.ts';
import type { ConversationLock } from './lock.ts';
import type { ConversationMailer } from './turns.ts';

/**
 * What a human agent does to an escalation: claim, reply, decide a pending action, resolve, hand
 * back — the escalation and approval state of a conversation, owned here with its status. Each checks
 * the state inside a transaction (row locks), so two humans racing get one conflict; each returns
 * the live events to announce once the change is committed.
 */

/** What a human's action needs: the database, the conversation lock, the agent and the turn queue. */
export interface EscalationDesk {
  pool: pg.Pool;
  lock: ConversationLock;
  agent: Pick<SupportAgent, 'handBack'>;
  /** Runs the conversation's pending turns (a decision is one) on a worker. */
  scheduleTurns(conversationId: string): Promise<void>;
  /**
   * Where what a human says to the customer of an email conversation is queued as mail (the email
   * outbox): a reply, the hand-back notice. Without it nothing is mailed.
   */
  mail?: ConversationMailer;
  logger?: Pick<Logger, 'warn'>;
}

/** The human acting (a signed-in console user). */
export interface ActingHuman {
  id: string;
  name: string;
  role: string;
}

interface LockedEscalation {
  id: string;
  conversation_id: string;
  status: 'open' | 'claimed' | 'resolved' | 'handed_back';
  claimed_by: string | null;
  claimed_by_name: string | null;
  /** The packet's pending action (agent/escalation-packet.ts), if the escalation holds one. */
  pending_action: { idempotencyKey?: unknown } | null;
  /** The approval of the same action in another conversation this escalation waits on (migration 0019). */
  awaits_escalation_id: string | null;
}

export interface ActionResult {
  escalation: { id: string; status: LockedEscalation['status']; conversationId: string };
  conversationStatus: string;
  events: LiveEvent[];
}

// A pending action carried out on a decision (decided_at, migration 0020) is pending no more.
const lockSelect = `SELECT e.id, e.conversation_id, e.status, e.claimed_by, h.name AS claimed_by_name,
                           CASE WHEN e.decided_at IS NULL THEN e.packet->'pendingAction' END AS pending_action,
                           e.awaits_escalation_id
                      FROM escalations e LEFT JOIN human_agents h ON h.id = e.claimed_by`;

async function lockEscalation(client: pg.PoolClient, escalationId: string): Promise<LockedEscalation> {
  const { rows } = await client.query<LockedEscalation>(`${lockSelect} WHERE e.id = $1 FOR UPDATE OF e`, [
    escalationId,
  ]);
  if (!rows[0]) throw new ConversationStateError('not_found', `No escalation ${escalationId}`);
  return rows[0];
}

async function lockLiveEscalationOf(client: pg.PoolClient, conversationId: string) {
  const { rows } = await client.query<LockedEscalation>(
    `${lockSelect} WHERE e.conversation_id = $1 AND e.status IN ('open','claimed') FOR UPDATE OF e`,
    [conversationId],
  );
  return rows[0] ?? null;
}

async function lockConversation(client: pg.PoolClient, conversationId: string): Promise<{ status: string }> {
  const { rows } = await client.query<{ status: string }>(
    'SELECT status FROM conversations WHERE id = $1 FOR UPDATE',
    [conversationId],
  );
  if (!rows[0]) throw new ConversationStateError('not_found', `No conversation ${conversationId}`);
  return rows[0];
}

function assertLive(escalation: LockedEscalation): void {
  if (escalation.status !== 'open' && escalation.status !== 'claimed') {
    throw new ConversationStateError(
      'conflict',
      `Escalation ${escalation.id} is already ${escalation.status.replace('_', ' ')}`,
    );
  }
}

/**
 * A decision still queued or running (its turn not done) settles the pending action: until it has, a
 * second decision, a resolve or a hand-back would race it.
 */
async function assertNoDecisionUnderway(client: pg.PoolClient, conversationId: string): Promise<void> {
  const undecided = await client.query(
    `SELECT 1 FROM messages WHERE conversation_id = $1 AND role = 'system' AND metadata->>'kind' = 'approval'
        AND turn_status IN ('pending','running') LIMIT 1`,
    [conversationId],
  );
  if (undecided.rows.length > 0)
    throw new ConversationStateError('conflict', 'A decision on this action is already being carried out');
}

/** Someone else's claimed escalation is theirs to work; an admin may step in. */
function assertMayWork(escalation: LockedEscalation, human: ActingHuman): void {
  if (escalation.claimed_by && escalation.claimed_by !== human.id && human.role !== 'admin') {
    throw new ConversationStateError(
      'conflict',
      `Escalation ${escalation.id} is claimed by ${escalation.claimed_by_name}`,
    );
  }
}

/** Claims an open escalation; the conversation becomes `claimed` unless it waits for an approval. */
async function claimLocked(
  client: pg.PoolClient,
  escalation: LockedEscalation,
  human: ActingHuman,
): Promise<{ claimed: boolean; conversationStatus: string }> {
  if (escalation.status !== 'open') {
    const current = await lockConversation(client, escalation.conversation_id);
    return { claimed: false, conversationStatus: current.status };
  }
  await client.query(
    `UPDATE escalations SET status = 'claimed', claimed_by = $2, claimed_at = now() WHERE id = $1`,
    [escalation.id, human.id],
  );
  const { rows } = await client.query<{ status: string }>(
    `UPDATE conversations SET updated_at = now(),
       status = CASE WHEN status IN ('waiting_approval','resolved','closed') THEN status ELSE 'claimed' END
     WHERE id = $1 RETURNING status`,
    [escalation.conversation_id],
  );
  return { claimed: true, conversationStatus: rows[0]?.status ?? 'claimed' };
}

const escalationEvent = (
  escalation: LockedEscalation,
  change: Extract<LiveEvent, { kind: 'escalation' }>['change'],
): LiveEvent => ({
  kind: 'escalation',
  conversationId: escalation.conversation_id,
  escalationId: escalation.id,
  change,
});

const statusEvent = (conversationId: string, status: string): LiveEvent => ({
  kind: 'status',
  conversationId,
  status,
});

/** POST /escalations/:id/claim — 409 if someone else holds it or it is closed; claiming your own is a no-op. */
export async function claimEscalation(desk: EscalationDesk, escalationId: string, human: ActingHuman) {
  return withTransaction(desk.pool, async (client): Promise<ActionResult> => {
    const escalation = await lockEscalation(client, escalationId);
    assertLive(escalation);
    if (escalation.claimed_by && escalation.claimed_by !== human.id) {
      throw new ConversationStateError(
        'conflict',
        `Escalation ${escalation.id} is claimed by ${escalation.claimed_by_name}`,
      );
    }
    const { claimed, conversationStatus } = await claimLocked(client, escalation, human);
    return {
      escalation: { id: escalation.id, status: 'claimed', conversationId: escalation.conversation_id },
      conversationStatus,
      events: claimed
        ? [
            escalationEvent(escalation, 'claimed'),
            statusEvent(escalation.conversation_id, conversationStatus),
          ]
        : [],
    };
  });
}

/** POST /conversations/:id/replies — a human's message to the customer; claims an open escalation. */
export async function replyToCustomer(
  desk: EscalationDesk,
  conversationId: string,
  human: ActingHuman,
  text: string,
) {
  const result = await withTransaction(desk.pool, async (client) => {
    await lockConversation(client, conversationId);
    const escalation = await lockLiveEscalationOf(client, conversationId);
    if (!escalation) {
      throw new ConversationStateError(
        'conflict',
        'This conversation has no open escalation: the assistant is handling it',
      );
    }
    assertMayWork(escalation, human);
    const { claimed, conversationStatus } = await claimLocked(client, escalation, human);
    const { rows } = await client.query(
      `INSERT INTO messages (conversation_id, role, body, metadata) VALUES ($1, 'human', $2, $3)
       RETURNING id, role, body, metadata, created_at`,
      [conversationId, text, JSON.stringify({ humanId: human.id, humanName: human.name })],
    );
    const message = liveMessageOf(rows[0]);
    const events: LiveEvent[] = [{ kind: 'message', conversationId, message }];
    if (claimed)
      events.push(escalationEvent(escalation, 'claimed'), statusEvent(conversationId, conversationStatus));
    return { message, events };
  });
  const failure = await mailToCustomer(
    desk,
    conversationId,
    result.message,
    `${human.name}, Lumen Cloud Support`,
  );
  return { message: result.message, events: [...result.events, ...failure] };
}

/**
 * A human's words to the customer of an email conversation go out as mail in the conversation's
 * thread (the outbox's `conversation_reply`, with the conversation's reference in the subject), once
 * per message: the message id is the idempotency key, so a retried request queues nothing twice. A
 * chat conversation's customer reads it live (or after a reload). Queued after the commit (the outbox
 * takes its own connection, and PGlite has one): if queueing fails, the message stands and the console
 * gets a note saying it was not mailed — returned as the event to announce.
 */
async function mailToCustomer(
  desk: EscalationDesk,
  conversationId: string,
  message: LiveMessage,
  author: string,
): Promise<LiveEvent[]> {
  if (!desk.mail) return [];
  const { rows } = await desk.pool.query<{
    channel: string;
    contact_id: string | null;
    verified: boolean;
    subject: string | null;
  }>('SELECT channel, contact_id, verified, subject FROM conversations WHERE id = $1', [conversationId]);
  const conversation = rows[0];
  if (conversation?.channel !== 'email') return [];
  let why: string;
  if (!conversation.contact_id) why = 'the conversation has no known contact to write to';
  else {
    try {
      await desk.mail.enqueue({
        contactId: conversation.contact_id,
        verified: conversation.verified,
        conversationId,
        template: 'conversation_reply',
        variables: {
          paragraphs: paragraphsOf(message.text),
          author,
          ...(conversation.subject ? { subject: conversation.subject } : {}),
        },
        idempotencyKey: `${conversationId}:human:${message.id}`,
      });
      return [];
    } catch (error) {
      why = error instanceof Error ? error.message : String(error);
    }
  }
  desk.logger?.warn({ conversationId, messageId: message.id, why }, 'a human message was not mailed');
  const { rows: noted } = await desk.pool.query(
    `INSERT INTO messages (conversation_id, role, body, metadata) VALUES ($1, 'system', $2, $3)
     RETURNING id, role, body, metadata, created_at`,
    [
      conversationId,
      `This message was not emailed to the customer (${why}).`,
      JSON.stringify({ kind: 'mail_failed', messageId: message.id }),
    ],
  );
  return [{ kind: 'message', conversationId, message: liveMessageOf(noted[0]) }];
}

/** The mail template's paragraphs (each at most 8,000 characters, at most 20). */
function paragraphsOf(text: string): string[] {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part) => part.match(/[\s\S]{1,8000}/g) ?? []);
  return paragraphs.length <= 20 ? paragraphs : (text.trim().match(/[\s\S]{1,8000}/g) ?? []);
}

/**
 * POST /conversations/:id/approval — a human's decision on the conversation's pending action: one
 * waiting for approval (the paused graph resumes), or the failed write its live escalation holds
 * (approving retries it with its original idempotency key). Stored as a pending system message and
 * carried out by an agent turn, so it is ordered with the customer's messages. 409 when nothing waits
 * for a decision, or while one is being carried out: two humans or a double click make one decision.
 * The internal reason stays in this record; only the customer message goes to the agent.
 */
export async function decideApproval(
  desk: EscalationDesk,
  conversationId: string,
  human: ActingHuman,
  decision: { approved: boolean; internalReason?: string | undefined; customerMessage?: string | undefined },
): Promise<{ message: LiveMessage; events: LiveEvent[] }> {
  const result = await withTransaction(desk.pool, async (client) => {
    const conversation = await lockConversation(client, conversationId);
    const escalation = await lockLiveEscalationOf(client, conversationId);
    const waiting = conversation.status === 'waiting_approval';
    const pendingAction = escalation?.pending_action ?? null;
    if (!waiting && !pendingAction) {
      throw new ConversationStateError(
        'conflict',
        `Nothing waits for a decision: the conversation is ${conversation.status}${escalation ? ' and its escalation holds no pending action' : ''}`,
      );
    }
    await assertNoDecisionUnderway(client, conversationId);
    if (escalation?.awaits_escalation_id) await assertNotAwaitingElsewhere(client, escalation);
    const events: LiveEvent[] = [];
    if (escalation) {
      assertMayWork(escalation, human);
      if ((await claimLocked(client, escalation, human)).claimed)
        events.push(escalationEvent(escalation, 'claimed'));
    }
    // Not waiting for approval: the pending action is a write that failed, and approving retries it.
    const retry = !waiting;
    const verb = decision.approved ? (retry ? 'Retry approved' : 'Approved') : 'Denied';
    const actionKey = typeof pendingAction?.idempotencyKey === 'string' ? pendingAction.idempotencyKey : null;
    const { rows } = await client.query(
      `INSERT INTO messages (conversation_id, role, body, metadata, turn_status) VALUES ($1, 'system', $2, $3, 'pending')
       RETURNING id, role, body, metadata, created_at`,
      [
        conversationId,
        `${verb} by ${human.name}.`,
        JSON.stringify({
          kind: 'approval',
          approved: decision.approved,
          retry,
          decidedBy: human.id,
          decidedByName: human.name,
          ...(decision.internalReason ? { internalReason: decision.internalReason } : {}),
          ...(decision.customerMessage ? { customerMessage: decision.customerMessage } : {}),
          // The agent carries the decision out only on this very action.
          ...(actionKey ? { actionKey } : {}),
        }),
      ],
    );
    const message = liveMessageOf(rows[0]);
    // The internal reason is also the escalation's internal note: staff see it on the escalation.
    if (escalation && decision.internalReason)
      await client.query('UPDATE escalations SET internal_note = $2 WHERE id = $1', [
        escalation.id,
        decision.internalReason,
      ]);
    const linked = escalation ? await shareDecision(client, escalation, human, decision) : [];
    return {
      message,
      linked: linked.map((item) => item.conversationId),
      events: [
        { kind: 'message', conversationId, message } as LiveEvent,
        ...events,
        ...linked.flatMap((item) => item.events),
      ],
    };
  });
  // After the commit: if this enqueue fails, the recover-turns job finds the pending row later.
  await desk.scheduleTurns(conversationId);
  for (const other of result.linked) await desk.scheduleTurns(other);
  return { message: result.message, events: result.events };
}

/**
 * A conversation linked to another conversation's approval of the same action (docs/product.md,
 * "Approvals") is decided there, once for all: deciding it here too would make two decisions on one
 * action. Once that approval is closed without a decision (resolved, handed back), this conversation's
 * own escalation is decided here.
 */
async function assertNotAwaitingElsewhere(client: pg.PoolClient, escalation: LockedEscalation) {
  const { rows } = await client.query<{ conversation_id: string }>(
    `SELECT conversation_id FROM escalations WHERE id = $1 AND status IN ('open','claimed')`,
    [escalation.awaits_escalation_id],
  );
  if (rows[0])
    throw new ConversationStateError(
      'conflict',
      `This action awaits approval in conversation ${rows[0].conversation_id} (escalation ${escalation.awaits_escalation_id}): decide it there, and this conversation gets the outcome too`,
    );
}

/**
 * The decision on an approval is also the decision of every conversation linked to it: each gets the
 * same decision as a pending system message on its own pending action (its own turn carries it out,
 * running the write under the approval's idempotency key, so it happens once). The human's message
 * to the customer and internal reason stay with the conversation they were written for.
 */
async function shareDecision(
  client: pg.PoolClient,
  escalation: LockedEscalation,
  human: ActingHuman,
  decision: { approved: boolean },
): Promise<Array<{ conversationId: string; events: LiveEvent[] }>> {
  const { rows: linked } = await client.query<LockedEscalation>(
    `${lockSelect} WHERE e.awaits_escalation_id = $1 AND e.status IN ('open','claimed')
      ORDER BY e.created_at, e.id FOR UPDATE OF e`,
    [escalation.id],
  );
  const shared: Array<{ conversationId: string; events: LiveEvent[] }> = [];
  for (const other of linked) {
    const conversation = await lockConversation(client, other.conversation_id);
    const events: LiveEvent[] = [];
    if ((await claimLocked(client, other, human)).claimed) events.push(escalationEvent(other, 'claimed'));
    const actionKey =
      typeof other.pending_action?.idempotencyKey === 'string' ? other.pending_action.idempotencyKey : null;
    const retry = conversation.status !== 'waiting_approval';
    const verb = decision.approved ? (retry ? 'Retry approved' : 'Approved') : 'Denied';
    const { rows } = await client.query(
      `INSERT INTO messages (conversation_id, role, body, metadata, turn_status) VALUES ($1, 'system', $2, $3, 'pending')
       RETURNING id, role, body, metadata, created_at`,
      [
        other.conversation_id,
        `${verb} by ${human.name} in conversation ${escalation.conversation_id}.`,
        JSON.stringify({
          kind: 'approval',
          approved: decision.approved,
          retry,
          decidedBy: human.id,
          decidedByName: human.name,
          decidedIn: escalation.conversation_id,
          ...(actionKey ? { actionKey } : {}),
        }),
      ],
    );
    const message = liveMessageOf(rows[0]);
    shared.push({
      conversationId: other.conversation_id,
      events: [{ kind: 'message', conversationId: other.conversation_id, message }, ...events],
    });
  }
  return shared;
}

/** POST /escalations/:id/resolve — closes the escalation and resolves the conversation (its outcome stays escalated). */
export async function resolveEscalation(desk: EscalationDesk, escalationId: string, human: ActingHuman) {
  return withTransaction(desk.pool, async (client): Promise<ActionResult> => {
    const escalation = await lockEscalation(client, escalationId);
    assertLive(escalation);
    assertMayWork(escalation, human);
    const conversation = await lockConversation(client, escalation.conversation_id);
    if (conversation.status === 'waiting_approval') {
      throw new ConversationStateError('conflict', 'Approve or deny the pending action before resolving');
    }
    await assertNoDecisionUnderway(client, escalation.conversation_id);
    await client.query(
      `UPDATE escalations SET status = 'resolved', resolved_at = now(),
         claimed_by = COALESCE(claimed_by, $2), claimed_at = COALESCE(claimed_at, now()) WHERE id = $1`,
      [escalation.id, human.id],
    );
    await client.query(
      `UPDATE conversations SET status = 'resolved', outcome = 'escalated', updated_at = now() WHERE id = $1`,
      [escalation.conversation_id],
    );
    return {
      escalation: { id: escalation.id, status: 'resolved', conversationId: escalation.conversation_id },
      conversationStatus: 'resolved',
      events: [escalationEvent(escalation, 'resolved'), statusEvent(escalation.conversation_id, 'resolved')],
    };
  });
}

/** POST /escalations/:id/hand-back — the agent takes the conversation over again (a pending action is denied). */
export async function handBackEscalation(
  desk: EscalationDesk,
  escalationId: string,
  human: ActingHuman,
): Promise<ActionResult> {
  const escalation = await withTransaction(desk.pool, async (client) => {
    const locked = await lockEscalation(client, escalationId);
    assertLive(locked);
    assertMayWork(locked, human);
    await lockConversation(client, locked.conversation_id);
    await assertNoDecisionUnderway(client, locked.conversation_id);
    return locked;
  });
  // Under the conversation lock, so it never interleaves with an agent turn running on a worker: the
  // agent forgets what it waited for (a write paused for approval is denied), then the escalation is
  // closed and the conversation is the assistant's again.
  const handedBack = await desk.lock.run(escalation.conversation_id, async () => {
    await desk.agent.handBack(escalation.conversation_id, human.id);
    return withTransaction(desk.pool, async (client) => {
      await client.query(
        `UPDATE escalations SET status = 'handed_back', resolved_at = now()
          WHERE conversation_id = $1 AND status IN ('open','claimed')`,
        [escalation.conversation_id],
      );
      const { rows } = await client.query<{ status: string }>(
        `UPDATE conversations SET status = 'open', updated_at = now() WHERE id = $1 RETURNING status`,
        [escalation.conversation_id],
      );
      // The customer is told, in the same commit, that the assistant continues: the banner saying a
      // person will reply goes only with this message (docs/product.md, "Console").
      const { rows: told } = await client.query(
        `INSERT INTO messages (conversation_id, role, body, metadata) VALUES ($1, 'agent', $2, $3)
         RETURNING id, role, body, metadata, created_at`,
        [
          escalation.conversation_id,
          handBackNotice,
          JSON.stringify({ kind: 'handed_back', humanId: human.id, humanName: human.name }),
        ],
      );
      return { status: rows[0]?.status ?? 'open', notice: liveMessageOf(told[0]) };
    });
  });
  const conversationId = escalation.conversation_id;
  const failure = await mailToCustomer(desk, conversationId, handedBack.notice, 'Lumen Cloud Support');
  return {
    escalation: { id: escalation.id, status: 'handed_back', conversationId },
    conversationStatus: handedBack.status,
    events: [
      // The notice first: a page that sees the status change already shows why.
      { kind: 'message', conversationId, message: handedBack.notice },
      escalationEvent(escalation, 'handed_back'),
      statusEvent(conversationId, handedBack.status),
      ...failure,
    ],
  };
}

/** What the customer reads when a human hands the conversation back to the assistant. */
export const handBackNotice =
  "Our team has handed your conversation back to me, the Lumen assistant — I'll continue from here. Ask me anything, and if you need a person again, just say so.";
