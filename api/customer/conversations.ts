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

/** How long a conversation access token lives without use, unless configured (`CONVERSATION_TOKEN_TTL_DAYS`). */
export const defaultConversationTokenTtlMs = 30 * 24 * 60 * 60_000;

/** A sliding expiry is written at most this often per token (not on every poll). */
const slideEveryMs = 60_000;

/** Starts a conversation for a verified customer or an anonymous visitor; returns its access token once. */
export async function startConversation(
  pool: pg.Pool,
  customer: VerifiedCustomer | null,
): Promise<{ conversationId: string; accessToken: string }> {
  const { token, hash } = newAccessToken();
  const conversationId = await openChatConversation(pool, customer, hash);
  return { conversationId, accessToken: token };
}

interface TokenRow extends ConversationRow {
  access_token_previous_hash: string | null;
  access_token_verified: boolean;
  revoked: boolean;
  /** Never used yet: it lives from the conversation's start. */
  unset: boolean;
  expired: boolean;
  /** Milliseconds the token has left (the database clock), for the sliding extension. */
  left_ms: number;
}

/**
 * The conversation the token opens. A conversation's access token (docs/api.md "Conversation access
 * tokens") is refused with 401 when missing, revoked (sign-out), expired (unused for its lifetime), or
 * issued before the conversation was verified by a one-time code (it was replaced then: the
 * previous token, or one whose replacement never reached the client); 404 for another
 * conversation's token or none, the same whether the conversation exists or not.
 *
 * With `slideTtlMs` (the configured lifetime; the token guard of api/customer/access-tokens.ts passes
 * it on every route that declares the conversation token) the accepted use extends the token's life
 * to now + `slideTtlMs`. Without it the token is only checked (a token never used yet lives the
 * default lifetime from its conversation's start).
 */
export async function authorizeConversation(
  pool: pg.Pool,
  conversationId: string,
  token: string | undefined,
  slideTtlMs?: number,
): Promise<ConversationRow> {
  const ttlMs = slideTtlMs ?? defaultConversationTokenTtlMs;
  if (!token)
    throw new ApiError('unauthorized', 'This conversation needs its access token (Authorization: Bearer …)');
  const { rows } = await pool.query<TokenRow>(
    `SELECT id, status, outcome, verified, contact_id, access_token_hash, created_at,
            access_token_previous_hash, access_token_verified,
            access_token_revoked_at IS NOT NULL AS revoked, access_token_expires_at IS NULL AS unset,
            coalesce(access_token_expires_at, created_at + $2 * interval '1 millisecond') <= now() AS expired,
            (extract(epoch FROM coalesce(access_token_expires_at, created_at + $2 * interval '1 millisecond') - now()) * 1000)::float8 AS left_ms
       FROM conversations WHERE id = $1`,
    [conversationId, ttlMs],
  );
  const conversation = rows[0];
  if (conversation && tokenMatches(token, conversation.access_token_previous_hash))
    throw new ApiError('unauthorized', replacedMessage);
  // The same answer whether the conversation does not exist or belongs to someone else: no probing.
  if (!conversation || !tokenMatches(token, conversation.access_token_hash))
    throw new ApiError('not_found', 'No such conversation for this access token');
  if (conversation.revoked)
    throw new ApiError(
      'unauthorized',
      'This conversation access token was revoked (signed out or ended); start a new conversation',
    );
  if (conversation.expired)
    throw new ApiError(
      'unauthorized',
      `This conversation access token has expired (it was not used for ${formatTtl(ttlMs)}); start a new conversation`,
    );
  if (conversation.verified && !conversation.access_token_verified)
    throw new ApiError('unauthorized', replacedMessage);
  const slide = conversation.unset || ttlMs - conversation.left_ms >= Math.min(slideEveryMs, ttlMs / 2);
  if (slideTtlMs !== undefined && slide) {
    await pool.query(
      `UPDATE conversations SET access_token_expires_at = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND access_token_hash = $2 AND access_token_revoked_at IS NULL`,
      [conversationId, conversation.access_token_hash, ttlMs],
    );
  }
  const { id, status, outcome, verified, contact_id, access_token_hash, created_at } = conversation;
  return { id, status, outcome, verified, contact_id, access_token_hash, created_at };
}

const replacedMessage =
  'This conversation access token was replaced when the conversation was verified; use the new token (or start a new conversation)';

const formatTtl = (ms: number): string =>
  ms >= 2 * 24 * 60 * 60_000
    ? `${Math.round(ms / (24 * 60 * 60_000))} days`
    : ms >= 2 * 60 * 60_000
      ? `${Math.round(ms / (60 * 60_000))} hours`
      : `${Math.max(1, Math.round(ms / 60_000))} minutes`;

/**
 * Revokes the conversation's access token (the customer signed out or ended the conversation): every
 * later call with it is refused with 401. The conversation itself stays for the support team.
 */
export async function revokeConversationToken(pool: pg.Pool, conversationId: string): Promise<void> {
  await pool.query(
    `UPDATE conversations SET access_token_revoked_at = now()
      WHERE id = $1 AND access_token_revoked_at IS NULL`,
    [conversationId],
  );
}

/**
 * Replaces the access token of a conversation a one-time code has just verified: the token the
 * visitor held before (which may have leaked while it only opened an anonymous chat) stops
 * working, and the new one is returned, once, for the client. Null when there is nothing to rotate
 * (not verified, already rotated by another request, issued verified, or revoked).
 */
export async function rotateVerifiedToken(
  pool: pg.Pool,
  conversationId: string,
  ttlMs: number = defaultConversationTokenTtlMs,
): Promise<string | null> {
  const { token, hash } = newAccessToken();
  const { rowCount } = await pool.query(
    `UPDATE conversations
        SET access_token_previous_hash = access_token_hash, access_token_hash = $2,
            access_token_verified = true, access_token_expires_at = now() + $3 * interval '1 millisecond'
      WHERE id = $1 AND channel = 'chat' AND verified AND NOT access_token_verified
        AND access_token_hash IS NOT NULL AND access_token_revoked_at IS NULL`,
    [conversationId, hash, ttlMs],
  );
  return rowCount ? token : null;
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
    metadata: { citations?: CustomerMessage['citations']; humanName?: unknown };
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
    ...(row.role === 'human' && typeof row.metadata.humanName === 'string'
      ? { authorName: row.metadata.humanName }
      : {}),
  }));
}
