import type { Queryable } from '../db/database.ts';

/** The template name of the email carrying a one-time verification code. */
export const verificationTemplate = 'verification_code';

/**
 * The code in the newest verification email to `address` (the customer's own captured mailbox:
 * `email_outbox` rows), or null when none arrived. The code is read from the text body: the token
 * after "code" (e.g. "Your code is 482913", "Code: 482913"), else the first 4–8 digit number.
 */
export async function readVerificationCode(db: Queryable, address: string): Promise<string | null> {
  const { rows } = await db.query<{ text_body: string }>(
    `SELECT text_body FROM email_outbox
     WHERE lower(to_address) = lower($1) AND template = $2
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [address, verificationTemplate],
  );
  const body = rows[0]?.text_body;
  return body === undefined ? null : extractCode(body);
}

/** Finds a one-time code in an email body. */
export function extractCode(body: string): string | null {
  const labelled = /\bcode\b(?:\s+is)?\s*[:\-–]?\s*([A-Z0-9]{4,10})\b/i.exec(body);
  if (labelled?.[1] && /\d/.test(labelled[1])) return labelled[1];
  return /\b(\d{4,8})\b/.exec(body)?.[1] ?? null;
}
