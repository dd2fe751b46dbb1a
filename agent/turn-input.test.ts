import { describe, expect, it } from 'vitest';
import { routeInput } from './graph.ts';
import { SupportState, type SupportStateValue } from './state.ts';
import {
  asTurnInput,
  customerWords,
  pendingActionId,
  storedInput,
  type TurnInput,
  turnInputSchema,
} from './turn-input.ts';

const refund = {
  connector: 'billing',
  operation: 'refund_payment',
  input: { payment_id: 'pay_2', amount_cents: 9900, reason: 'duplicate_charge' },
};

function stateWith(input: TurnInput | null): SupportStateValue {
  const defaults = Object.fromEntries(
    Object.entries(SupportState.spec).map(([key, channel]) => [
      key,
      (channel as { initialValueFactory?: () => unknown }).initialValueFactory?.(),
    ]),
  ) as SupportStateValue;
  return { ...defaults, input };
}

describe('turnInputSchema', () => {
  it('accepts the four kinds of turn and nothing else', () => {
    const actionId = pendingActionId([refund]);
    for (const input of [
      { kind: 'message', text: 'Hi' },
      { kind: 'confirm', actionId },
      { kind: 'decline', actionId },
      { kind: 'verify_email', email: 'maya@brightpath.io' },
      { kind: 'verify_code', code: '482913' },
      { kind: 'verify_code', code: '••••••' },
    ])
      expect(turnInputSchema.parse(input)).toEqual(input);
    for (const input of [
      { kind: 'message', text: '' },
      { kind: 'confirm' },
      { kind: 'confirm', actionId: 'yes' },
      { kind: 'decline', actionId: `${actionId}0` },
      { kind: 'verify_email', email: 'not an address' },
      { kind: 'verify_code', code: '12345' },
      { kind: 'verify_code', code: '1234567' },
      { kind: 'approve', actionId },
      'yes',
    ])
      expect(turnInputSchema.safeParse(input).success).toBe(false);
  });

  it('shows each turn in the customer’s own words, a plain string being a message', () => {
    const actionId = pendingActionId([refund]);
    expect(asTurnInput('yes please')).toEqual({ kind: 'message', text: 'yes please' });
    expect(customerWords({ kind: 'message', text: 'Hi' })).toBe('Hi');
    expect(customerWords({ kind: 'confirm', actionId })).toBe('Yes, please go ahead.');
    expect(customerWords({ kind: 'decline', actionId })).toBe("No, please don't do that.");
    expect(customerWords({ kind: 'verify_email', email: 'maya@brightpath.io' })).toBe(
      'Please verify me. My account email is maya@brightpath.io',
    );
    expect(customerWords({ kind: 'verify_code', code: '482913' })).toBe('482913');
  });

  it('keeps a button press as stored input, a code only masked, and no input for a message', () => {
    const actionId = pendingActionId([refund]);
    expect(storedInput({ kind: 'message', text: 'Hi' })).toBeNull();
    expect(storedInput({ kind: 'confirm', actionId })).toEqual({ kind: 'confirm', actionId });
    expect(storedInput({ kind: 'verify_code', code: '482913' })).toEqual({
      kind: 'verify_code',
      code: '••••••',
    });
    expect(JSON.stringify(storedInput({ kind: 'verify_code', code: '482913' }))).not.toContain('482913');
  });
});

describe('pendingActionId', () => {
  it('is the same for the same actions whatever the key order, and differs for any change', () => {
    const id = pendingActionId([refund]);
    expect(id).toMatch(/^act_[0-9a-f]{16}$/);
    expect(
      pendingActionId([
        {
          operation: 'refund_payment',
          input: { reason: 'duplicate_charge', amount_cents: 9900, payment_id: 'pay_2' },
          connector: 'billing',
        },
      ]),
    ).toBe(id);
    // Only what the customer sees counts: a label or an idempotency key does not change the request.
    expect(pendingActionId([{ ...refund, label: 'refund $99.00' } as typeof refund])).toBe(id);
    expect(pendingActionId([{ ...refund, input: { ...refund.input, amount_cents: 9901 } }])).not.toBe(id);
    expect(pendingActionId([{ ...refund, operation: 'void_payment' }])).not.toBe(id);
    expect(pendingActionId([refund, refund])).not.toBe(id);
    expect(pendingActionId([])).not.toBe(id);
  });
});

describe('routeInput', () => {
  it('sends a button press straight to its node and only a message through guardrails', () => {
    const actionId = pendingActionId([refund]);
    expect(routeInput(stateWith({ kind: 'confirm', actionId }))).toBe('confirm');
    expect(routeInput(stateWith({ kind: 'decline', actionId }))).toBe('confirm');
    expect(routeInput(stateWith({ kind: 'verify_email', email: 'maya@brightpath.io' }))).toBe('verify');
    expect(routeInput(stateWith({ kind: 'verify_code', code: '••••••' }))).toBe('verify');
    expect(routeInput(stateWith({ kind: 'message', text: 'Yes, please go ahead.' }))).toBe('guardrails');
    // A checkpoint from before turn inputs has none: a message.
    expect(routeInput(stateWith(null))).toBe('guardrails');
  });
});
