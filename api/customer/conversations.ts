import type pg from 'pg';
import { openChatConversation } from '../../conversations/chat-intake.ts';
import type { CustomerMessage } from '../contract/customer.ts';
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

/** Starts a conversation for a verified customer or an anonymous visitor; returns its access token once. */
export async function startConversation(
  pool: pg.Pool,
  customer: VerifiedCustomer | null,
): Promise<{ conversationId: string; accessToken: string }> {
  const { token, hash } = newAccessToken();
  const conversationId = await openChatConversation(pool, customer, hash);
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
): Promise<CustomerMessage[]> {
  const { rows } = await pool.query<{
    id: string;
    role: CustomerMessage['role'];
    body: string;
    metadata: { citations?: CustomerMessage['citations'] };
    created_at: Date;
  }>(
    // messages.id, not the text alias `id`: '10' would sort before '9'.
    `SELECT id::text AS id, role, body, metadata, created_at FROM messages
      WHERE conversation_id = $1 AND role <> 'system' AND id > $2 ORDER BY messages.id`,
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
