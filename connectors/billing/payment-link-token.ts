import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../core/queryable.ts';

/**
 * Update-payment link tokens: `<link id>.<expiry, unix seconds>.<HMAC-SHA256 of both, base64url>`.
 * The token is derivable from the link row and the secret, so only its SHA-256 is stored and the
 * same link can be handed out again without keeping the token.
 */
export function signPaymentLinkToken(linkId: string, expiresAt: Date, secret: string): string {
  const payload = `${linkId}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${payload}.${signature(payload, secret)}`;
}

/** The SHA-256 (hex) stored in `payment_links.token_hash`. */
export const hashPaymentLinkToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');

/** Why a token was refused. */
export type PaymentLinkRefusal = 'malformed' | 'bad_signature' | 'expired' | 'unknown' | 'used';

/** Checks a token's shape and signature only (no database, no clock). */
export function readPaymentLinkToken(
  token: string,
  secret: string,
): { linkId: string; expiresAt: Date } | PaymentLinkRefusal {
  const match = /^(pl_[0-9a-f]{16,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return 'malformed';
  const [, linkId, seconds, given] = match as unknown as [string, string, string, string];
  const expected = Buffer.from(signature(`${linkId}.${seconds}`, secret));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return 'bad_signature';
  return { linkId, expiresAt: new Date(Number(seconds) * 1000) };
}

/** A verified link: whose payment method it updates, until when. */
export type PaymentLinkVerification =
  | { valid: true; link_id: string; contact_id: string; expires_at: string }
  | { valid: false; reason: PaymentLinkRefusal };

/**
 * Verifies an update-payment link token: signature, expiry at `now`, and that the stored link
 * exists, matches the token's hash and was not used yet.
 */
export async function verifyPaymentLink(
  token: string,
  options: { db: Queryable; secret: string; now?: Date },
): Promise<PaymentLinkVerification> {
  const read = readPaymentLinkToken(token, options.secret);
  if (typeof read === 'string') return { valid: false, reason: read };
  const now = options.now ?? new Date();
  if (now.getTime() >= read.expiresAt.getTime()) return { valid: false, reason: 'expired' };
  const { rows } = await options.db.query<{ contact_id: string; expires_at: Date; used_at: Date | null }>(
    'SELECT contact_id, expires_at, used_at FROM payment_links WHERE id = $1 AND token_hash = $2',
    [read.linkId, hashPaymentLinkToken(token)],
  );
  const link = rows[0];
  if (!link) return { valid: false, reason: 'unknown' };
  if (link.used_at) return { valid: false, reason: 'used' };
  if (now.getTime() >= new Date(link.expires_at).getTime()) return { valid: false, reason: 'expired' };
  return {
    valid: true,
    link_id: read.linkId,
    contact_id: link.contact_id,
    expires_at: new Date(link.expires_at).toISOString(),
  };
}

function signature(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}
