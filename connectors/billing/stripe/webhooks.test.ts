import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { renderCharge } from '../../../test/fakes/stripe/objects.ts';
import {
  billingChangeOf,
  type StripeWebhookEvent,
  StripeWebhookSignatureError,
  UnreadableStripeEventError,
  verifyStripeEvent,
} from './webhooks.ts';

const secret = 'whsec_unit_test_secret_0123456789abcdef';
const now = 1_795_000_000;
const charge = renderCharge({
  id: 'ch_1',
  customer: 'cus_1',
  amount: 9900,
  amount_refunded: 9900,
  currency: 'usd',
  created: now - 86_400,
  status: 'succeeded',
  payment_intent: 'pi_1',
  failure_code: null,
  failure_message: null,
  outcome_reason: null,
  last4: '4242',
});
const event = {
  id: 'evt_1',
  object: 'event',
  api_version: '2026-11-18.endive',
  created: now - 5,
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  type: 'charge.refunded',
  data: { object: charge, previous_attributes: { amount_refunded: 0, refunded: false } },
};
const body = Buffer.from(JSON.stringify(event));
const sign = (payload: Buffer, options: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderString({
    payload: payload.toString('utf8'),
    secret: options.secret ?? secret,
    timestamp: options.timestamp ?? now,
  });
const clock = { now: () => now * 1000 };

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StripeWebhookSignatureError);
    // Our message only: the SDK's may quote the end of the secret.
    expect((error as Error).message).not.toContain(secret.slice(-4));
    return (error as StripeWebhookSignatureError).reason;
  }
  throw new Error('expected a refusal');
}

describe('verifyStripeEvent', () => {
  it('returns the event of a body signed with the endpoint secret', () => {
    const verified = verifyStripeEvent(body, sign(body), secret, clock);
    expect(verified).toMatchObject({ id: 'evt_1', type: 'charge.refunded', created: now - 5 });
  });

  it('tells a missing, a wrong and a stale signature apart', () => {
    expect(failure(() => verifyStripeEvent(body, undefined, secret, clock))).toBe('missing_signature');
    expect(failure(() => verifyStripeEvent(body, ['a', 'b'], secret, clock))).toBe('missing_signature');
    expect(failure(() => verifyStripeEvent(body, sign(body, { secret: 'whsec_other' }), secret, clock))).toBe(
      'bad_signature',
    );
    const altered = Buffer.from(
      body.toString('utf8').replace('"amount_refunded":9900', '"amount_refunded":1'),
    );
    expect(failure(() => verifyStripeEvent(altered, sign(body), secret, clock))).toBe('bad_signature');
    expect(failure(() => verifyStripeEvent(body, 'garbage', secret, clock))).toBe('bad_signature');
    const old = sign(body, { timestamp: now - 301 });
    expect(failure(() => verifyStripeEvent(body, old, secret, clock))).toBe('stale_timestamp');
    expect(verifyStripeEvent(body, old, secret, { ...clock, toleranceSeconds: 600 }).id).toBe('evt_1');
  });

  it('refuses a signed body that is not a Stripe event', () => {
    const notJson = Buffer.from('not json');
    expect(failure(() => verifyStripeEvent(notJson, sign(notJson), secret, clock))).toBe('malformed_event');
    const notEvent = Buffer.from(JSON.stringify({ id: 'x', object: 'charge' }));
    expect(failure(() => verifyStripeEvent(notEvent, sign(notEvent), secret, clock))).toBe('malformed_event');
  });
});

describe('billingChangeOf', () => {
  const of = (type: string, object: Record<string, unknown>) =>
    billingChangeOf({ ...event, type, data: { object } } as StripeWebhookEvent);

  it('reads a refund from the charge, never its card details', () => {
    const change = of('charge.refunded', charge);
    expect(change).toEqual({
      objectType: 'charge',
      objectId: 'ch_1',
      customerId: 'cus_1',
      customerEmail: null,
      status: 'refunded',
      amountCents: 9900,
      currency: 'usd',
      rank: 9900,
    });
    expect(JSON.stringify(change)).not.toContain('4242');
    expect(of('charge.refunded', { ...charge, amount_refunded: 100, refunded: false })?.status).toBe(
      'partially_refunded',
    );
  });

  it('reads a failed invoice payment and a subscription change; ignores other types', () => {
    const invoice = {
      id: 'in_1',
      object: 'invoice',
      customer: 'cus_1',
      customer_email: 'maya@example.com',
      status: 'open',
      amount_due: 2900,
      currency: 'usd',
      attempt_count: 2,
    };
    expect(of('invoice.payment_failed', invoice)).toMatchObject({
      objectType: 'invoice',
      status: 'payment_failed',
      amountCents: 2900,
      customerEmail: 'maya@example.com',
      rank: 2,
    });
    const subscription = {
      id: 'sub_1',
      object: 'subscription',
      customer: { id: 'cus_1', object: 'customer' },
      status: 'active',
      cancel_at_period_end: true,
      items: { data: [{ quantity: 2, price: { unit_amount: 9900, currency: 'usd' } }] },
    };
    expect(of('customer.subscription.updated', subscription)).toMatchObject({
      objectType: 'subscription',
      customerId: 'cus_1',
      status: 'active_until_period_end',
      amountCents: 19800,
      rank: 0,
    });
    expect(of('customer.created', { id: 'cus_1', object: 'customer' })).toBeNull();
  });

  it('names the unreadable field of a handled event', () => {
    expect(() => of('charge.refunded', { ...charge, amount_refunded: 'all' })).toThrow(
      UnreadableStripeEventError,
    );
    expect(() => of('charge.refunded', { ...charge, amount_refunded: 'all' })).toThrow(/amount_refunded/);
  });
});
