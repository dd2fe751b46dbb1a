import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * One-time codes are kept only as hashes. A customer's message that answers an outstanding code is
 * stored with the code masked, and the turn checks the code by its hash (carried in the message's
 * metadata), so the plain code never reaches the transcript, the console, a log or an export.
 */

/** The mask stored in place of a code. */
export const maskedCode = '••••••';

/** A 6-digit group that is not part of a longer number or a dashed reference. */
const codeShape = /(?<![\d-])\d{6}(?![\d-])/;
const codeGroups = new RegExp(codeShape.source, 'g');

export const hashOneTimeCode = (conversationId: string, code: string): string =>
  createHash('sha256').update(`${conversationId}:${code}`).digest('hex');

/** The text with every 6-digit group masked, and the hashes of those groups. */
export function maskCodes(conversationId: string, text: string): { text: string; codeHashes: string[] } {
  const codeHashes: string[] = [];
  const masked = text.replace(codeGroups, (code) => {
    codeHashes.push(hashOneTimeCode(conversationId, code));
    return maskedCode;
  });
  return { text: masked, codeHashes };
}

/**
 * Masks the codes in a customer message when the conversation has a code outstanding (sent and not
 * yet used, expired ones included: an expired code is still a secret and is answered "expired").
 * Without one, the text is stored as written.
 */
export async function maskOutstandingCodes(
  db: Pick<pg.Pool, 'query'> | pg.PoolClient,
  conversationId: string,
  text: string,
): Promise<{ text: string; codeHashes: string[] }> {
  if (!codeShape.test(text)) return { text, codeHashes: [] };
  const { rows } = await db.query(
    'SELECT 1 FROM verification_codes WHERE conversation_id = $1 AND consumed_at IS NULL LIMIT 1',
    [conversationId],
  );
  return rows.length > 0 ? maskCodes(conversationId, text) : { text, codeHashes: [] };
}
