import { describe, expect, it } from 'vitest';
import type { EscalationPacket } from './dependencies.ts';
import { escalationPriority } from './escalation-priority.ts';

const policy = { auto_refund_limit_cents: 20_000 };

function packet(overrides: Partial<EscalationPacket> = {}): EscalationPacket {
  return {
    reason: 'low_confidence',
    identity: {
      contactId: 'ct_1',
      accountId: 'acc_1',
      name: 'A',
      email: 'a@x.example',
      verified: true,
      tier: 'pro',
    },
    intent: null,
    confidence: 0.3,
    slots: {},
    calls: [],
    pendingAction: null,
    summary: '',
    suggestedReply: '',
    transcript: [],
    ...overrides,
  };
}

const refund = (amountCents: number, connector = 'billing') => ({
  connector,
  operation: 'refund_payment',
  input: { payment_id: 'pay_1', amount_cents: amountCents },
  idempotencyKey: 'k',
  reason: 'above the limit',
});

const call = (connector: string, status: 'ok' | 'error') => ({
  connector,
  operation: 'op',
  status,
  latencyMs: 5,
  at: '2026-01-01T00:00:00Z',
});

describe('escalationPriority', () => {
  it('keeps an ordinary hand-over normal', () => {
    expect(escalationPriority(packet(), 'normal', policy)).toBe('normal');
  });

  it('makes an angry customer urgent', () => {
    expect(escalationPriority(packet({ reason: 'negative_sentiment' }), 'normal', policy)).toBe('urgent');
  });

  it('makes an approval above the auto-refund limit urgent, and one at the limit not', () => {
    const above = packet({ reason: 'approval_required', pendingAction: refund(49_900) });
    expect(escalationPriority(above, 'normal', policy)).toBe('urgent');
    const at = packet({ reason: 'approval_required', pendingAction: refund(20_000) });
    expect(escalationPriority(at, 'normal', policy)).toBe('normal');
    // The limit is the world's policy, not a constant.
    expect(escalationPriority(above, 'normal', { auto_refund_limit_cents: 50_000 })).toBe('normal');
  });

  it('makes a failure that touched payments high, and one elsewhere not', () => {
    expect(
      escalationPriority(
        packet({ reason: 'connector_failure', calls: [call('billing', 'error')] }),
        'normal',
        policy,
      ),
    ).toBe('high');
    expect(
      escalationPriority(
        packet({ reason: 'connector_failure', pendingAction: refund(9_900) }),
        'normal',
        policy,
      ),
    ).toBe('high');
    expect(
      escalationPriority(
        packet({ reason: 'connector_failure', calls: [call('calendar', 'error'), call('billing', 'ok')] }),
        'normal',
        policy,
      ),
    ).toBe('normal');
  });

  it('makes an enterprise customer high', () => {
    const enterprise = packet({ identity: { ...packet().identity, tier: 'enterprise' } });
    expect(escalationPriority(enterprise, 'normal', policy)).toBe('high');
  });

  it('never lowers what the escalating step asked for', () => {
    expect(escalationPriority(packet(), 'high', policy)).toBe('high');
    expect(escalationPriority(packet({ reason: 'negative_sentiment' }), 'low', policy)).toBe('urgent');
    expect(escalationPriority(packet(), 'low', policy)).toBe('low');
  });
});
