import { describe, expect, it } from 'vitest';
import {
  computeSignature,
  generateWebhookSecret,
  signatureHeaderValue,
  verifyWebhookSignature,
} from './signature.ts';

const secret = 'whsec_test_0123456789abcdefghijklmnopqrstuvwxyzABCDE';
const body = '{"id":"evt_1","type":"conversation.resolved","createdAt":"2026-12-05T10:00:00.000Z","data":{}}';
const sentAt = Date.UTC(2026, 11, 5, 10, 0, 0) / 1000;
const at = (secondsLater: number) => new Date((sentAt + secondsLater) * 1000);

describe('verifyWebhookSignature', () => {
  it('accepts the header the dispatcher sends, within the window', () => {
    const header = signatureHeaderValue(secret, sentAt, body);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ header, body, secret, now: at(299) })).toEqual({
      ok: true,
      timestamp: sentAt,
    });
  });

  it('matches an HMAC-SHA256 computed independently over "t.body"', async () => {
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${sentAt}.${body}`));
    expect(computeSignature(secret, sentAt, body)).toBe(Buffer.from(mac).toString('hex'));
  });

  it('rejects a tampered body, a wrong secret and a forged signature', () => {
    const header = signatureHeaderValue(secret, sentAt, body);
    const now = at(1);
    expect(
      verifyWebhookSignature({ header, body: body.replace('resolved', 'escalated'), secret, now }),
    ).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifyWebhookSignature({ header, body, secret: generateWebhookSecret(), now }).ok).toBe(false);
    const forged = `t=${sentAt},v1=${'0'.repeat(64)}`;
    expect(verifyWebhookSignature({ header: forged, body, secret, now })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('refuses a replay outside the window, and a timestamp moved to fit it', () => {
    const header = signatureHeaderValue(secret, sentAt, body);
    expect(verifyWebhookSignature({ header, body, secret, now: at(301) })).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
    expect(verifyWebhookSignature({ header, body, secret, now: at(-301) }).ok).toBe(false);
    expect(verifyWebhookSignature({ header, body, secret, now: at(20), toleranceSeconds: 10 }).ok).toBe(
      false,
    );
    // An attacker who replays an old delivery with a fresh `t` breaks the signature instead.
    const moved = header.replace(`t=${sentAt}`, `t=${sentAt + 400}`);
    expect(verifyWebhookSignature({ header: moved, body, secret, now: at(400) })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('refuses malformed headers and accepts any one matching v1 (secret rotation)', () => {
    for (const header of [
      undefined,
      '',
      'v1=abc',
      `t=${sentAt}`,
      `t=abc,v1=${'a'.repeat(64)}`,
      `t=1,t=2,v1=${'a'.repeat(64)}`,
    ]) {
      expect(verifyWebhookSignature({ header, body, secret, now: at(0) })).toEqual({
        ok: false,
        reason: 'malformed_header',
      });
    }
    const rotated = `t=${sentAt},v1=${computeSignature('whsec_old', sentAt, body)},v1=${computeSignature(secret, sentAt, body)}`;
    expect(verifyWebhookSignature({ header: rotated, body, secret, now: at(0) }).ok).toBe(true);
  });
});
