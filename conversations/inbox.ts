import type pg from 'pg';
import { withTransaction } from '../db/database.ts';
import { ConversationStateError } from './errors.ts';
import type { ActingHuman } from './escalations.ts';
import type { LiveEvent } from './live-events.ts';

/**
 * The console inbox's changes to a conversation: assignment to a teammate or a team, claim and
 * release, internal notes with @mentions, and read markers. A live escalation's claim is the lock on
 * working a conversation (conversations/escalations.ts); assigning moves that claim to the assignee,
 * so who the inbox shows and who may reply are always the same person. Each change checks the state
 * under row locks, so two people assigning at once get one conflict.
 */

interface LockedConversation {
  id: string;
  status: string;
  assignee_id: string | null;
  escalation_id: string | null;
  escalation_status: 'open' | 'claimed' | null;
  claimed_by: string | null;
  claimed_by_name: string | null;
}

async function lockConversation(client: pg.PoolClient, conversationId: string): Promise<LockedConversation> {
  const { rows } = await client.query<{ id: string; status: string; assignee_id: string | null }>(
    'SELECT id, status, assignee_id FROM conversations WHERE id = $1 FOR UPDATE',
    [conversationId],
  );
  const conversation = rows[0];
  if (!conversation) throw new ConversationStateError('not_found', `No conversation ${conversationId}`);
  const { rows: live } = await client.query<{
    id: string;
    status: 'open' | 'claimed';
    claimed_by: string | null;
    claimed_by_name: string | null;
  }>(
    `SELECT e.id, e.status, e.claimed_by, h.name AS claimed_by_name
       FROM escalations e LEFT JOIN human_agents h ON h.id = e.claimed_by
      WHERE e.conversation_id = $1 AND e.status IN ('open','claimed') FOR UPDATE OF e`,
    [conversationId],
  );
  const escalation = live[0];
  return {
    ...conversation,
    escalation_id: escalation?.id ?? null,
    escalation_status: escalation?.status ?? null,
    claimed_by: escalation?.claimed_by ?? null,
    claimed_by_name: escalation?.claimed_by_name ?? null,
  };
}

/**
 * Someone else holding the conversation (its escalation's claim, or its assignment) keeps it: only
 * they or an admin may hand it on. An unassigned, unclaimed conversation is anyone's to assign.
 */
function assertMayReassign(conversation: LockedConversation, human: ActingHuman, target: string | null) {
  if (human.role === 'admin') return;
  const holder = conversation.claimed_by ?? conversation.assignee_id;
  if (holder && holder !== human.id && holder !== target) {
    throw new ConversationStateError(
      'conflict',
      `This conversation is ${conversation.claimed_by ? `claimed by ${conversation.claimed_by_name}` : 'assigned to someone else'}: only they or an admin can reassign it`,
    );
  }
}

const escalationEvent = (conversation: LockedConversation, change: 'claimed' | 'updated'): LiveEvent => ({
  kind: 'escalation',
  conversationId: conversation.id,
  escalationId: conversation.escalation_id!,
  change,
});

/** A claim the escalation had is given up: it is open again and the conversation escalated. */
async function releaseClaim(client: pg.PoolClient, conversation: LockedConversation): Promise<string> {
  await client.query(
    `UPDATE escalations SET status = 'open', claimed_by = NULL, claimed_at = NULL WHERE id = $1`,
    [conversation.escalation_id],
  );
  const { rows } = await client.query<{ status: string }>(
    `UPDATE conversations SET updated_at = now(),
       status = CASE WHEN status = 'claimed' THEN 'escalated' ELSE status END
     WHERE id = $1 RETURNING status`,
    [conversation.id],
  );
  return rows[0]!.status;
}

/** The escalation is claimed by `humanId` (taken over from whoever held it, checked by the caller). */
async function moveClaim(client: pg.PoolClient, conversation: LockedConversation, humanId: string) {
  await client.query(
    `UPDATE escalations SET status = 'claimed', claimed_by = $2,
       claimed_at = CASE WHEN claimed_by = $2 THEN claimed_at ELSE now() END WHERE id = $1`,
    [conversation.escalation_id, humanId],
  );
  const { rows } = await client.query<{ status: string }>(
    `UPDATE conversations SET updated_at = now(),
       status = CASE WHEN status IN ('waiting_approval','resolved','closed') THEN status ELSE 'claimed' END
     WHERE id = $1 RETURNING status`,
    [conversation.id],
  );
  return rows[0]!.status;
}

export interface InboxChange {
  conversationId: string;
  events: LiveEvent[];
}

/**
 * Assigns a conversation to a teammate (who then holds its live escalation's claim), a team (the
 * claim is released for the team to pick up), or nobody. 404 for an unknown person or team; 409 when
 * someone else holds the conversation and the actor is not an admin; 400-worthy input (a person not
 * in the named team) is a conflict of the request itself and is refused the same way.
 */
export async function assignConversation(
  pool: pg.Pool,
  conversationId: string,
  human: ActingHuman,
  target: { humanId: string | null; teamId: string | null },
): Promise<InboxChange> {
  return withTransaction(pool, async (client) => {
    const conversation = await lockConversation(client, conversationId);
    if (target.humanId) {
      const { rows } = await client.query('SELECT 1 FROM human_agents WHERE id = $1', [target.humanId]);
      if (!rows[0]) throw new ConversationStateError('not_found', `No staff member ${target.humanId}`);
    }
    if (target.teamId) {
      const { rows } = await client.query('SELECT 1 FROM teams WHERE id = $1', [target.teamId]);
      if (!rows[0]) throw new ConversationStateError('not_found', `No team ${target.teamId}`);
      if (target.humanId) {
        const member = await client.query('SELECT 1 FROM team_members WHERE team_id = $1 AND human_id = $2', [
          target.teamId,
          target.humanId,
        ]);
        if (!member.rows[0])
          throw new ConversationStateError(
            'conflict',
            `${target.humanId} is not a member of team ${target.teamId}`,
          );
      }
    }
    assertMayReassign(conversation, human, target.humanId);
    await client.query(
      `UPDATE conversations SET assignee_id = $2, assigned_team_id = $3, assigned_at = now(), updated_at = now()
        WHERE id = $1`,
      [conversationId, target.humanId, target.teamId],
    );
    const events: LiveEvent[] = [];
    if (conversation.escalation_id) {
      let status: string | null = null;
      if (target.humanId && conversation.claimed_by !== target.humanId) {
        status = await moveClaim(client, conversation, target.humanId);
        events.push(escalationEvent(conversation, 'claimed'));
      } else if (!target.humanId && conversation.claimed_by) {
        status = await releaseClaim(client, conversation);
        events.push(escalationEvent(conversation, 'updated'));
      }
      if (status && status !== conversation.status) events.push({ kind: 'status', conversationId, status });
    }
    return { conversationId, events };
  });
}

/**
 * Claims a conversation for the actor: its live escalation's claim (409 if someone else holds it,
 * unless an admin takes over) and its assignment. A conversation the assistant is handling has no
 * escalation to claim: it is assigned to the actor (to watch it) without taking it from the assistant.
 */
export async function claimConversation(
  pool: pg.Pool,
  conversationId: string,
  human: ActingHuman,
): Promise<InboxChange> {
  return withTransaction(pool, async (client) => {
    const conversation = await lockConversation(client, conversationId);
    if (conversation.claimed_by && conversation.claimed_by !== human.id && human.role !== 'admin')
      throw new ConversationStateError(
        'conflict',
        `This conversation is claimed by ${conversation.claimed_by_name}`,
      );
    if (
      !conversation.escalation_id &&
      conversation.assignee_id &&
      conversation.assignee_id !== human.id &&
      human.role !== 'admin'
    )
      throw new ConversationStateError('conflict', 'This conversation is assigned to someone else');
    await client.query(
      `UPDATE conversations SET assignee_id = $2, assigned_at = now(), updated_at = now() WHERE id = $1`,
      [conversationId, human.id],
    );
    const events: LiveEvent[] = [];
    if (conversation.escalation_id && conversation.claimed_by !== human.id) {
      const status = await moveClaim(client, conversation, human.id);
      events.push(escalationEvent(conversation, 'claimed'));
      if (status !== conversation.status) events.push({ kind: 'status', conversationId, status });
    }
    return { conversationId, events };
  });
}

/**
 * Gives a conversation up: its live escalation is open again for anyone (the SLA keeps running from
 * when it was opened) and nobody is assigned (the team stays). 409 when the actor holds nothing here
 * (an admin may release anyone's).
 */
export async function releaseConversation(
  pool: pg.Pool,
  conversationId: string,
  human: ActingHuman,
): Promise<InboxChange> {
  return withTransaction(pool, async (client) => {
    const conversation = await lockConversation(client, conversationId);
    const holder = conversation.claimed_by ?? conversation.assignee_id;
    if (!holder) throw new ConversationStateError('conflict', 'Nobody holds this conversation');
    if (holder !== human.id && human.role !== 'admin')
      throw new ConversationStateError(
        'conflict',
        'Only whoever holds this conversation, or an admin, can release it',
      );
    await client.query(
      'UPDATE conversations SET assignee_id = NULL, assigned_at = now(), updated_at = now() WHERE id = $1',
      [conversationId],
    );
    const events: LiveEvent[] = [];
    if (conversation.escalation_id && conversation.claimed_by) {
      const status = await releaseClaim(client, conversation);
      events.push(escalationEvent(conversation, 'updated'));
      if (status !== conversation.status) events.push({ kind: 'status', conversationId, status });
    }
    return { conversationId, events };
  });
}

/**
 * The handles a note @mentions: `@` at the start or after a space or bracket, then an email's local
 * part (`@maya.chen`), so an email address written in a note (`x@example.com`) mentions nobody.
 */
export function mentionHandles(text: string): string[] {
  const handles = [...text.matchAll(/(?:^|[\s(])@([a-z0-9][a-z0-9._+-]{0,63})/giu)].map((match) =>
    match[1]!.replace(/[._-]+$/, '').toLowerCase(),
  );
  return [...new Set(handles)];
}

export interface StoredNote {
  id: string;
  text: string;
  author: { id: string; name: string } | null;
  mentions: Array<{ id: string; name: string }>;
  createdAt: string;
}

/**
 * Stores an internal note: staff only. It is a row of `conversation_notes`, never of `messages`, and
 * is never published on any channel — nothing a customer reads (transcript, live events, mail) can
 * carry it. Each staff member it @mentions sees it as unread until they open the conversation; the
 * author has read their own note.
 */
export async function addNote(
  pool: pg.Pool,
  conversationId: string,
  human: ActingHuman,
  text: string,
): Promise<StoredNote> {
  return withTransaction(pool, async (client) => {
    const { rows: found } = await client.query('SELECT 1 FROM conversations WHERE id = $1', [conversationId]);
    if (!found[0]) throw new ConversationStateError('not_found', `No conversation ${conversationId}`);
    const handles = mentionHandles(text);
    const { rows: mentioned } = handles.length
      ? await client.query<{ id: string; name: string }>(
          `SELECT id, name FROM human_agents WHERE lower(split_part(email, '@', 1)) = ANY($1::text[]) ORDER BY name, id`,
          [handles],
        )
      : { rows: [] as Array<{ id: string; name: string }> };
    const { rows } = await client.query<{ id: string; created_at: Date }>(
      `INSERT INTO conversation_notes (conversation_id, author_id, body, mentions) VALUES ($1, $2, $3, $4)
       RETURNING id::text AS id, created_at`,
      [conversationId, human.id, text, mentioned.map((person) => person.id)],
    );
    const note = rows[0]!;
    await client.query(
      `INSERT INTO inbox_reads (human_id, conversation_id, last_note_id) VALUES ($1, $2, $3)
       ON CONFLICT (human_id, conversation_id) DO UPDATE
         SET last_note_id = GREATEST(inbox_reads.last_note_id, EXCLUDED.last_note_id)`,
      [human.id, conversationId, note.id],
    );
    return {
      id: note.id,
      text,
      author: { id: human.id, name: human.name },
      mentions: mentioned,
      createdAt: new Date(note.created_at).toISOString(),
    };
  });
}

/** Marks everything in the conversation up to now as read by `humanId` (opening it in the inbox). */
export async function markConversationRead(
  db: Pick<pg.Pool, 'query'>,
  conversationId: string,
  humanId: string,
): Promise<void> {
  await db.query(
    `INSERT INTO inbox_reads (human_id, conversation_id, last_message_id, last_note_id, read_at)
     SELECT $1, c.id,
            COALESCE((SELECT max(id) FROM messages WHERE conversation_id = c.id), 0),
            COALESCE((SELECT max(id) FROM conversation_notes WHERE conversation_id = c.id), 0), now()
       FROM conversations c WHERE c.id = $2
     ON CONFLICT (human_id, conversation_id) DO UPDATE
       SET last_message_id = GREATEST(inbox_reads.last_message_id, EXCLUDED.last_message_id),
           last_note_id = GREATEST(inbox_reads.last_note_id, EXCLUDED.last_note_id), read_at = now()`,
    [humanId, conversationId],
  );
}
