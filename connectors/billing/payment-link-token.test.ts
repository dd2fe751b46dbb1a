import { describe, expect, it } from 'vitest';
import { hashPaymentLinkToken, readPaymentLinkToken, signPaymentLinkToken } from './payment-link-token.ts';

const secret = 'test-secret-that-is-long-enough-0123456789';
const linkId = 'pl_0123456789abcdef01234567';
const expiresAt = new Date('2026-11-21T09:00:00Z');

describe('payment link tokens', () => {
  it('round-trips the link id and expiry', () => {
    const token = signPaymentLinkToken(linkId, expiresAt, secret);
    expect(readPaymentLinkToken(token, secret)).toEqual({ linkId, expiresAt });
  });

  it('is the same token for the same link, so it can be re-derived instead of stored', () => {
    expect(signPaymentLinkToken(linkId, expiresAt, secret)).toBe(
      signPaymentLinkToken(linkId, expiresAt, secret),
    );
    expect(hashPaymentLinkToken('a')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a token signed with another secret', () => {
    const token = signPaymentLinkToken(linkId, expiresAt, 'another-secret-that-is-long-enough-000000');
    expect(readPaymentLinkToken(token, secret)).toBe('bad_signature');
  });

  it('refuses a token whose expiry was pushed out', () => {
    const token = signPaymentLinkToken(linkId, expiresAt, secret);
    const [id, seconds, signature] = token.split('.') as [string, string, string];
    expect(readPaymentLinkToken(`${id}.${Number(seconds) + 86_400}.${signature}`, secret)).toBe(
      'bad_signature',
    );
  });

  it('refuses malformed tokens', () => {
    for (const token of [
      '',
      'abc',
      `${linkId}.123`,
      `pl_xyz.123.${'a'.repeat(43)}`,
      `${linkId}.123.${'a'.repeat(44)}`,
    ]) {
      expect(readPaymentLinkToken(token, secret)).toBe('malformed');
    }
  });
});
