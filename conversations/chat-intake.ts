import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { asTurnInput, customerWords, storedInput, type TurnInput } from '../agent/turn-input.ts';
import { maskCodes, maskOutstandingCodes } from '../db/one-time-codes.ts';
import { ConversationStateError } from './errors.ts';

/**
 * The chat channel's intake: a conversation opened by the widget, and each customer turn stored —
 * before anything is acknowledged — for a worker to run (conversations/turns.ts).
 */

/** Opens a chat conversation for a verified customer (by identity token) or an anonymous visitor. */
export async function openChatConversation(
  pool: pg.Pool,
  customer: { contactId: string; accountId: string } | null,
  accessTokenHash: string,
): Promise<string> {
  const conversationId = `conv_${randomUUID().replace(/-/g, '')}`;
  await pool.query(
    // A token issued to a verified customer is `access_token_verified`; a visitor's is replaced when a
    // one-time code verifies them (api/customer/conversations.ts).
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by, access_token_hash, access_token_verified)
     VALUES ($1, 'chat', $2, $3, $4, $5, $6, $4)`,
    [
      conversationId,
      customer?.contactId ?? null,
      customer?.accountId ?? null,
      customer !== null,
      customer ? 'token' : null,
      accessTokenHash,
    ],
  );
  return conversationId;
}

/** A flat object as JSON with sorted keys (jsonb does not keep key order). */
const flatJson = (value: unknown): string =>
  JSON.stringify(
    value !== null && typeof value === 'object'
      ? Object.entries(value).sort(([a], [b]) => a.localeCompare(b))
      : null,
  );

/**
 * Stores a customer's turn with its turn pending — before anything is acknowledged — once per client
 * message id. The body is the customer's own words (a button press as what it says); a button
 * press's structured input is kept in metadata `input`, which the turn runs on. A code is stored
 * masked, only its hash kept (`code_hashes`). Returns the stored row's id (the turn id), and whether
 * it was new.
 */
export async function acceptCustomerMessage(
  pool: pg.Pool,
  conversationId: string,
  turn: TurnInput | string,
  clientMessageId: string,
): Promise<{ messageId: string; created: boolean; turnStatus: string }> {
  const input = asTurnInput(turn);
  const words = customerWords(input);
  // A submitted code is always masked; a message only when it answers an outstanding one-time code.
  const masked =
    input.kind === 'verify_code'
      ? maskCodes(conversationId, words)
      : await maskOutstandingCodes(pool, conversationId, words);
  const kept = storedInput(input);
  const inserted = await pool.query<{ id: string }>(
    `INSERT INTO messages (conversation_id, role, body, metadata, client_message_id, turn_status)
     VALUES ($1, 'customer', $2, $3, $4, 'pending')
     ON CONFLICT (conversation_id, client_message_id) DO NOTHING RETURNING id::text AS id`,
    [
      conversationId,
      masked.text,
      JSON.stringify({
        ...(kept ? { input: kept } : {}),
        ...(masked.codeHashes.length > 0 ? { code_hashes: masked.codeHashes } : {}),
      }),
      clientMessageId,
    ],
  );
  if (inserted.rows[0]) return { messageId: inserted.rows[0].id, created: true, turnStatus: 'pending' };
  const { rows } = await pool.query<{
    id: string;
    turn_status: string | null;
    body: string;
    metadata: { input?: unknown };
  }>(
    `SELECT id::text AS id, turn_status, body, metadata FROM messages WHERE conversation_id = $1 AND client_message_id = $2`,
    [conversationId, clientMessageId],
  );
  const existing = rows[0]!;
  // A resent code compares masked (the code may have been used since, so it is masked here regardless).
  const sameWords = existing.body === words || existing.body === maskCodes(conversationId, words).text;
  const sameInput = flatJson(existing.metadata.input) === flatJson(kept);
  if (!sameWords || !sameInput)
    throw new ConversationStateError(
      'conflict',
      `Message id ${clientMessageId} was already used for a different message`,
    );
  return { messageId: existing.id, created: false, turnStatus: existing.turn_status ?? 'done' };
}
