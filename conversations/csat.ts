import type { Queryable } from '../db/database.ts';
import { ConversationStateError } from './errors.ts';

/** A customer's rating (validated at the API by its contract; the table checks the range again). */
export interface CsatInput {
  rating: number;
  comment?: string | undefined;
}

/** A stored rating. */
export interface CsatRating {
  rating: number;
  comment: string | null;
  channel: 'chat' | 'email';
  createdAt: Date;
}

/**
 * Whether a conversation can be rated now: the agent resolved or answered it, or a person resolved
 * it. Not while it waits for a person or an approval (the customer would rate a wait), and only once.
 */
export type CsatState =
  | { kind: 'rated'; rating: CsatRating }
  | { kind: 'open' }
  | { kind: 'not_yet'; reason: string };

interface ConversationRow {
  status: string;
  outcome: string | null;
  rating: number | null;
  comment: string | null;
  channel: 'chat' | 'email' | null;
  created_at: Date | null;
}

const waitingForPeople = new Set(['escalated', 'claimed', 'waiting_approval']);

function stateOf(row: ConversationRow): CsatState {
  if (row.rating !== null)
    return {
      kind: 'rated',
      rating: {
        rating: row.rating,
        comment: row.comment,
        channel: row.channel!,
        createdAt: new Date(row.created_at!),
      },
    };
  if (waitingForPeople.has(row.status))
    return { kind: 'not_yet', reason: 'a person is still looking into this conversation' };
  const done =
    row.outcome === 'resolved' ||
    row.outcome === 'answered' ||
    row.status === 'resolved' ||
    row.status === 'closed';
  return done ? { kind: 'open' } : { kind: 'not_yet', reason: 'nothing has been answered or resolved yet' };
}

const rowQuery = `SELECT c.status, c.outcome, r.rating, r.comment, r.channel, r.created_at
  FROM conversations c LEFT JOIN csat_ratings r ON r.conversation_id = c.id WHERE c.id = $1`;

/** The conversation's CSAT state (`not_found` when there is no such conversation). */
export async function csatState(db: Queryable, conversationId: string): Promise<CsatState> {
  const { rows } = await db.query<ConversationRow>(rowQuery, [conversationId]);
  if (!rows[0]) throw new ConversationStateError('not_found', `No conversation ${conversationId}`);
  return stateOf(rows[0]);
}

/**
 * Stores the customer's rating. Refused (`conflict`) before an answer or resolution, while a person
 * still has the conversation, and when it was rated already — also when two ratings race: the
 * table's primary key keeps the first.
 */
export async function recordCsat(
  db: Queryable,
  conversationId: string,
  input: CsatInput,
  channel: 'chat' | 'email',
): Promise<CsatRating> {
  const state = await csatState(db, conversationId);
  if (state.kind === 'rated')
    throw new ConversationStateError('conflict', 'This conversation was already rated');
  if (state.kind === 'not_yet')
    throw new ConversationStateError('conflict', `This conversation cannot be rated yet: ${state.reason}`);
  const comment = input.comment?.trim() || null;
  const { rows } = await db.query<{ created_at: Date }>(
    `INSERT INTO csat_ratings (conversation_id, rating, comment, channel) VALUES ($1, $2, $3, $4)
     ON CONFLICT (conversation_id) DO NOTHING RETURNING created_at`,
    [conversationId, input.rating, comment, channel],
  );
  if (!rows[0]) throw new ConversationStateError('conflict', 'This conversation was already rated');
  return {
    rating: input.rating,
    comment,
    channel,
    createdAt: new Date(rows[0].created_at),
  };
}
