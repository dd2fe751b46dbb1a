import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The request header that carries the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const signatureHeader = 'switchboard-signature';

/** Default replay window: a signature older (or further in the future) than this is refused. */
export const defaultToleranceSeconds = 300;

/** A new subscription's signing secret: `whsec_` and 32 random bytes, base64url. Shown once. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The hex HMAC-SHA256, keyed with the whole secret (UTF-8), of `<timestamp>.<raw body>`. */
export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value for a body sent at `timestamp` (unix seconds). */
export function signatureHeaderValue(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${computeSignature(secret, timestamp, body)}`;
}

/** Why a signature was refused. */
export type SignatureFailure = 'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch';

/** Outcome of `verifyWebhookSignature`. */
export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

/**
 * Verifies a received webhook as docs/webhooks.md describes: parse `t` and every `v1` from the header,
 * refuse a timestamp more than `toleranceSeconds` from now, recompute the HMAC over `t.body` (the raw
 * body, byte for byte) and compare in constant time. Several `v1` values are accepted (one matching
 * is enough), so a receiver keeps working while a secret is rotated.
 */
export function verifyWebhookSignature(options: {
  header: string | undefined;
  body: string;
  secret: string;
  toleranceSeconds?: number;
  now?: Date;
}): SignatureCheck {
  const parts = (options.header ?? '').split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value);
  const signatures = parts.filter(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? ''));
  const timestamp = Number(timestamps[0]);
  if (timestamps.length !== 1 || !/^\d+$/.test(timestamps[0] ?? '') || signatures.length === 0) {
    return { ok: false, reason: 'malformed_header' };
  }
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > (options.toleranceSeconds ?? defaultToleranceSeconds)) {
    return { ok: false, reason: 'timestamp_outside_tolerance' };
  }
  const expected = Buffer.from(computeSignature(options.secret, timestamp, options.body), 'hex');
  const matches = signatures.some(([, value]) => timingSafeEqual(Buffer.from(value!, 'hex'), expected));
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'signature_mismatch' };
}
