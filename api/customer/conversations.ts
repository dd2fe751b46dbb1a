import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ApiError } from '../errors.ts';
import { newAccessToken, tokenMatches, type VerifiedCustomer } from './identity.ts';

export interface ConversationRow {
  id: string;
  status: string;
  outcome: string | null;
  verified: boolean;
  contact_id: string | null;
  access_token_hash: string | null;
  created_at: Date;
}

export interface StoredMessageView {
  id: string;
  role: 'customer' | 'agent' | 'human';
  text: string;
  citations: Array<{ slug: string; title: string; url: string | null }>;
  createdAt: string;
}

/** Starts a conversation for a verified customer or an anonymous visitor; returns its access token once. */
export async function startConversation(
  pool: pg.Pool,
  customer: VerifiedCustomer | null,
): Promise<{ conversationId: string; accessToken: string }> {
  const conversationId = `conv_${randomUUID().replace(/-/g, '')}`;
  const { token, hash } = newAccessToken();
  await pool.query(
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by, access_token_hash)
     VALUES ($1, 'chat', $2, $3, $4, $5, $6)`,
    [
      conversationId,
      customer?.contactId ?? null,
      customer?.accountId ?? null,
      customer !== null,
      customer ? 'token' : null,
      hash,
    ],
  );
  return { conversationId, accessToken: token };
}

/** The conversation the token opens; 401 without a token, 404 for another conversation's token or none. */
export async function authorizeConversation(
  pool: pg.Pool,
  conversationId: string,
  token: string | undefined,
): Promise<ConversationRow> {
  if (!token)
    throw new ApiError('unauthorized', 'This conversation needs its access token (Authorization: Bearer …)');
  const { rows } = await pool.query<ConversationRow>(
    `SELECT id, status, outcome, verified, contact_id, access_token_hash, created_at FROM conversations WHERE id = $1`,
    [conversationId],
  );
  const conversation = rows[0];
  // The same answer whether the conversation does not exist or belongs to someone else: no probing.
  if (!conversation || !tokenMatches(token, conversation.access_token_hash))
    throw new ApiError('not_found', 'No such conversation for this access token');
  return conversation;
}

/** The customer-visible messages (no system notes), oldest first, optionally after a message id. */
export async function customerMessages(
  pool: pg.Pool,
  conversationId: string,
  afterId = 0,
): Promise<StoredMessageView[]> {
  const { rows } = await pool.query<{
    id: string;
    role: StoredMessageView['role'];
    body: string;
    metadata: { citations?: StoredMessageView['citations'] };
    created_at: Date;
  }>(
    `SELECT id::text AS id, role, body, metadata, created_at FROM messages
      WHERE conversation_id = $1 AND role <> 'system' AND id > $2 ORDER BY id`,
    [conversationId, afterId],
  );
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    text: row.body,
    citations: row.metadata.citations ?? [],
    createdAt: new Date(row.created_at).toISOString(),
  }));
}

/**
 * Stores a customer message with its turn pending — before anything is acknowledged — once per
 * client message id. Returns the stored row's id (the turn id), and whether it was new.
 */
export async function acceptCustomerMessage(
  pool: pg.Pool,
  conversationId: string,
  text: string,
  clientMessageId: string,
): Promise<{ messageId: string; created: boolean; turnStatus: string }> {
  const inserted = await pool.query<{ id: string }>(
    `INSERT INTO messages (conversation_id, role, body, client_message_id, turn_status)
     VALUES ($1, 'customer', $2, $3, 'pending')
     ON CONFLICT (conversation_id, client_message_id) DO NOTHING RETURNING id::text AS id`,
    [conversationId, text, clientMessageId],
  );
  if (inserted.rows[0]) return { messageId: inserted.rows[0].id, created: true, turnStatus: 'pending' };
  const { rows } = await pool.query<{ id: string; turn_status: string | null; body: string }>(
    `SELECT id::text AS id, turn_status, body FROM messages WHERE conversation_id = $1 AND client_message_id = $2`,
    [conversationId, clientMessageId],
  );
  const existing = rows[0]!;
  if (existing.body !== text)
    throw new ApiError('conflict', `Message id ${clientMessageId} was already used for a different message`);
  return { messageId: existing.id, created: false, turnStatus: existing.turn_status ?? 'done' };
}

/** The replies a finished turn stored (a resent message gets them again instead of a second turn). */
export async function repliesOfTurn(pool: pg.Pool, conversationId: string, turnId: string) {
  const { rows } = await pool.query<{
    body: string;
    metadata: { citations?: StoredMessageView['citations'] };
  }>(
    `SELECT body, metadata FROM messages WHERE conversation_id = $1 AND client_message_id LIKE $2 ORDER BY id`,
    [conversationId, `${turnId}:%`],
  );
  return rows.map((row) => ({ text: row.body, citations: row.metadata.citations ?? [] }));
}
