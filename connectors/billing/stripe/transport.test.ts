import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeSeeder } from '../../../test/fakes/stripe/seed.ts';
import { type FakeStripe, startFakeStripe } from '../../../test/fakes/stripe/server.ts';
import { ConnectorError } from '../../core/errors.ts';
import { createStripeTransport } from './transport.ts';

let fake: FakeStripe;
let customer: string;
let other: string;

beforeAll(async () => {
  fake = await startFakeStripe();
  const seed = stripeSeeder(fake);
  customer = await seed.customer('pager@example.test');
  other = await seed.customer('broken@example.test');
  for (let index = 0; index < 5; index++) {
    fake.insertCharge({ customer, amount: 100 + index, created: 1_700_000_000 + index });
  }
});
afterAll(async () => {
  await fake?.close();
});

const transport = (options: { secretKey?: string; timeoutMs?: number; pageSize?: number } = {}) =>
  createStripeTransport({ secretKey: fake.secretKey, apiBase: fake.url, ...options });

const failure = async (promise: Promise<unknown>): Promise<ConnectorError> => {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
};

describe('the Stripe transport', () => {
  it('reads every page of a list with starting_after, sending the pinned Stripe-Version', async () => {
    fake.requests.length = 0;
    const charges = await transport({ pageSize: 2 }).listCharges({ customer });
    expect(charges.map((charge) => charge.amount)).toEqual([104, 103, 102, 101, 100]);
    const pages = fake.requests.filter((request) => request.operation === 'charges.list');
    expect(pages).toHaveLength(3);
    expect(pages.map((request) => request.params.starting_after)).toEqual([
      undefined,
      charges[1]!.id,
      charges[3]!.id,
    ]);
    expect(pages.every((request) => request.stripeVersion === '2026-11-18.endive')).toBe(true);
  });

  it('maps a refused key to auth_expired without retrying, and never echoes the key', async () => {
    const error = await failure(
      transport({ secretKey: 'sk_test_wrong_key_0000' }).retrieveCustomer(customer),
    );
    expect(error.kind).toBe('auth_expired');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain('sk_test_wrong_key_0000');
  });

  it('maps 429 to rate_limited with Retry-After', async () => {
    fake.failNext(429, { retryAfter: 7 });
    const error = await failure(transport().retrieveCustomer(customer));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 7, retryable: true });
  });

  it('maps 5xx and timeouts to transient', async () => {
    fake.failNext(500);
    expect((await failure(transport().retrieveCustomer(customer))).kind).toBe('transient');
    fake.failNext('hang');
    const timedOut = await failure(transport({ timeoutMs: 200 }).retrieveCustomer(customer));
    expect(timedOut.kind).toBe('transient');
  });

  it('maps a malformed body and an unexpected shape to permanent', async () => {
    fake.failNext('malformed');
    expect((await failure(transport().retrieveCustomer(customer))).kind).toBe('permanent');
    const charge = fake.insertCharge({ customer: other, amount: 5 });
    (charge as { status: string }).status = 'disputed_somehow';
    expect((await failure(transport().retrieveCharge(charge.id))).kind).toBe('permanent');
  });

  it('maps a missing object to not_found and bad parameters to invalid_input', async () => {
    expect((await failure(transport().retrieveCharge('ch_missing'))).kind).toBe('not_found');
    const [charge] = await transport().listCharges({ customer });
    const error = await failure(transport().createRefund({ charge: charge!.id, amount: 10_000 }, undefined));
    expect(error.kind).toBe('invalid_input');
  });

  it('replays a write under the same Idempotency-Key and refuses the key with other parameters', async () => {
    const [charge] = await transport().listCharges({ customer });
    const first = await transport().createRefund({ charge: charge!.id, amount: 1 }, 'key-1');
    const again = await transport().createRefund({ charge: charge!.id, amount: 1 }, 'key-1');
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ value: first.value, replayed: true });
    expect([...fake.state.refunds.values()].filter((refund) => refund.charge === charge!.id)).toHaveLength(1);
    const other = await failure(transport().createRefund({ charge: charge!.id, amount: 2 }, 'key-1'));
    expect(other.kind).toBe('conflict');
  });
});
