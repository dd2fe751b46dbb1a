import type pg from 'pg';
import { withTransaction } from '../../db/database.ts';
import type { LiveEvent } from '../../jobs/live-events.ts';
import type { HumanAgent } from '../auth/human-auth.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { toConsoleMessage } from './console-queries.ts';
import type { ConsoleMessage } from './console-schemas.ts';

/**
 * What a human agent does to an escalation: claim, reply, decide a pending action, resolve, hand
 * back. Each checks the state inside a transaction (row locks), so two humans racing get one 409;
 * each returns the live events to announce once the change is committed.
 */

interface LockedEscalation {
  id: string;
  conversation_id: string;
  status: 'open' | 'claimed' | 'resolved' | 'handed_back';
  claimed_by: string | null;
  claimed_by_name: string | null;
}

export interface ActionResult {
  escalation: { id: string; status: LockedEscalation['status']; conversationId: string };
  conversationStatus: string;
  events: LiveEvent[];
}

const lockSelect = `SELECT e.id, e.conversation_id, e.status, e.claimed_by, h.name AS claimed_by_name
                      FROM escalations e LEFT JOIN human_agents h ON h.id = e.claimed_by`;

async function lockEscalation(client: pg.PoolClient, escalationId: string): Promise<LockedEscalation> {
  const { rows } = await client.query<LockedEscalation>(`${lockSelect} WHERE e.id = $1 FOR UPDATE OF e`, [
    escalationId,
  ]);
  if (!rows[0]) throw new ApiError('not_found', `No escalation ${escalationId}`);
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
  if (!rows[0]) throw new ApiError('not_found', `No conversation ${conversationId}`);
  return rows[0];
}

function assertLive(escalation: LockedEscalation): void {
  if (escalation.status !== 'open' && escalation.status !== 'claimed') {
    throw new ApiError(
      'conflict',
      `Escalation ${escalation.id} is already ${escalation.status.replace('_', ' ')}`,
    );
  }
}

/** Someone else's claimed escalation is theirs to work; an admin may step in. */
function assertMayWork(escalation: LockedEscalation, human: HumanAgent): void {
  if (escalation.claimed_by && escalation.claimed_by !== human.id && human.role !== 'admin') {
    throw new ApiError('conflict', `Escalation ${escalation.id} is claimed by ${escalation.claimed_by_name}`);
  }
}

/** Claims an open escalation; the conversation becomes `claimed` unless it waits for an approval. */
async function claimLocked(
  client: pg.PoolClient,
  escalation: LockedEscalation,
  human: HumanAgent,
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
export async function claimEscalation(context: ApiContext, escalationId: string, human: HumanAgent) {
  return withTransaction(context.database.pool, async (client): Promise<ActionResult> => {
    const escalation = await lockEscalation(client, escalationId);
    assertLive(escalation);
    if (escalation.claimed_by && escalation.claimed_by !== human.id) {
      throw new ApiError(
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
  context: ApiContext,
  conversationId: string,
  human: HumanAgent,
  text: string,
) {
  return withTransaction(context.database.pool, async (client) => {
    await lockConversation(client, conversationId);
    const escalation = await lockLiveEscalationOf(client, conversationId);
    if (!escalation) {
      throw new ApiError(
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
    const message = toConsoleMessage(rows[0]);
    const events: LiveEvent[] = [{ kind: 'message', conversationId, message }];
    if (claimed)
      events.push(escalationEvent(escalation, 'claimed'), statusEvent(conversationId, conversationStatus));
    return { message, events };
  });
}

/**
 * POST /conversations/:id/approval — stores the decision as a pending system message and queues an
 * agent turn, which resumes the paused graph from it. 409 unless the conversation waits for approval.
 */
export async function decideApproval(
  context: ApiContext,
  conversationId: string,
  human: HumanAgent,
  decision: { approved: boolean; note?: string | undefined },
): Promise<{ message: ConsoleMessage; events: LiveEvent[] }> {
  const result = await withTransaction(context.database.pool, async (client) => {
    const conversation = await lockConversation(client, conversationId);
    if (conversation.status !== 'waiting_approval') {
      throw new ApiError(
        'conflict',
        `Nothing waits for approval: the conversation is ${conversation.status}`,
      );
    }
    const undecided = await client.query(
      `SELECT 1 FROM messages WHERE conversation_id = $1 AND role = 'system' AND metadata->>'kind' = 'approval'
          AND turn_status IN ('pending','running') LIMIT 1`,
      [conversationId],
    );
    if (undecided.rows.length > 0)
      throw new ApiError('conflict', 'A decision on this action is already being carried out');
    const escalation = await lockLiveEscalationOf(client, conversationId);
    const events: LiveEvent[] = [];
    if (escalation) {
      assertMayWork(escalation, human);
      if ((await claimLocked(client, escalation, human)).claimed)
        events.push(escalationEvent(escalation, 'claimed'));
    }
    const note = decision.note ?? null;
    const body = `${decision.approved ? 'Approved' : 'Denied'} by ${human.name}${note ? `: ${note}` : ''}`;
    const { rows } = await client.query(
      `INSERT INTO messages (conversation_id, role, body, metadata, turn_status) VALUES ($1, 'system', $2, $3, 'pending')
       RETURNING id, role, body, metadata, created_at`,
      [
        conversationId,
        body,
        JSON.stringify({ kind: 'approval', approved: decision.approved, decidedBy: human.id, note }),
      ],
    );
    const message = toConsoleMessage(rows[0]);
    return { message, events: [{ kind: 'message', conversationId, message } as LiveEvent, ...events] };
  });
  // After the commit: if this enqueue fails, the recover-turns job finds the pending row later.
  await context.jobs.enqueue('agent.turn', { conversationId });
  return result;
}

/** POST /escalations/:id/resolve — closes the escalation and resolves the conversation (its outcome stays escalated). */
export async function resolveEscalation(context: ApiContext, escalationId: string, human: HumanAgent) {
  return withTransaction(context.database.pool, async (client): Promise<ActionResult> => {
    const escalation = await lockEscalation(client, escalationId);
    assertLive(escalation);
    assertMayWork(escalation, human);
    const conversation = await lockConversation(client, escalation.conversation_id);
    if (conversation.status === 'waiting_approval') {
      throw new ApiError('conflict', 'Approve or deny the pending action before resolving');
    }
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
  context: ApiContext,
  escalationId: string,
  human: HumanAgent,
): Promise<ActionResult> {
  const escalation = await withTransaction(context.database.pool, async (client) => {
    const locked = await lockEscalation(client, escalationId);
    assertLive(locked);
    assertMayWork(locked, human);
    return locked;
  });
  // Under the conversation lock, so it never interleaves with an agent turn running on a worker.
  await context.conversationLock.run(escalation.conversation_id, () =>
    context.switchboard.agent.handBack(escalation.conversation_id, human.id),
  );
  const { rows } = await context.database.pool.query<{ status: string }>(
    'SELECT status FROM conversations WHERE id = $1',
    [escalation.conversation_id],
  );
  const conversationStatus = rows[0]?.status ?? 'open';
  return {
    escalation: { id: escalation.id, status: 'handed_back', conversationId: escalation.conversation_id },
    conversationStatus,
    events: [
      escalationEvent(escalation, 'handed_back'),
      statusEvent(escalation.conversation_id, conversationStatus),
    ],
  };
}
