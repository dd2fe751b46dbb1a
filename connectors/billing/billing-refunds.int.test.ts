import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession, invoke, rejectionOf, testContext } from '../builtin-test-world.ts';
import { type BillingConnector, createBillingConnector } from './index.ts';
import { refundIdFor } from './operations/refund-payment.ts';

const now = '2026-11-20T09:00:00Z';

const world: WorldInput = {
  accounts: [{ id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' }],
  contacts: [{ id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' }],
  subscriptions: [
    {
      id: 'sub_1',
      account: 'acc_1',
      plan: 'pro',
      status: 'active',
      period_start: '2026-11-01',
      period_end: '2026-12-01',
    },
  ],
  invoices: [
    { id: 'INV-1001', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
    { id: 'INV-1000', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-10-25' },
    { id: 'INV-0900', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-09-01' },
    { id: 'INV-0950', account: 'acc_1', amount_cents: 9900, status: 'failed', issued_at: '2026-11-10' },
  ],
  payments: [
    {
      id: 'pay_1',
      invoice: 'INV-1001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:00Z',
      card_last4: '4242',
    },
    {
      id: 'pay_2',
      invoice: 'INV-1001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:09Z',
      card_last4: '4242',
    },
    {
      id: 'pay_oct',
      invoice: 'INV-1000',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-10-25T10:00:00Z',
    },
    {
      id: 'pay_sep',
      invoice: 'INV-0900',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-09-01T10:00:00Z',
    },
    {
      id: 'pay_failed',
      invoice: 'INV-0950',
      amount_cents: 9900,
      status: 'failed',
      created_at: '2026-11-10T10:00:00Z',
      failure_reason: 'card_expired',
    },
  ],
};

let database: Database;
let billing: BillingConnector;
const context = (options: { policy?: { refund_window_days?: number } } = {}) =>
  testContext(customerSession('ct_1', 'acc_1'), now, options);
const refund = (input: Record<string, unknown>) =>
  invoke(billing.operations.refund_payment!, input, context());

async function refundRows(paymentId: string) {
  const { rows } = await database.pool.query(
    'SELECT amount_cents, created_by FROM refunds WHERE payment_id = $1',
    [paymentId],
  );
  return rows;
}
async function statusOf(table: 'payments' | 'invoices', id: string) {
  const { rows } = await database.pool.query(`SELECT status FROM ${table} WHERE id = $1`, [id]);
  return rows[0]?.status;
}

beforeAll(async () => {
  database = await createTestDatabase();
  billing = createBillingConnector({
    db: database.pool,
    paymentLinkSecret: 'a-test-secret-of-at-least-32-characters!',
    paymentLinkBaseUrl: 'https://billing.example.test/update-payment',
  });
});
afterAll(async () => database?.close());
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, world);
});

describe(`billing.refund_payment (${testDatabaseKind()})`, () => {
  it('refunds a duplicate charge and leaves the invoice paid by the original charge', async () => {
    const result = await refund({ payment_id: 'pay_2', amount_cents: 9900, reason: 'duplicate_charge' });
    expect(result).toMatchObject({
      payment_id: 'pay_2',
      invoice_id: 'INV-1001',
      amount_cents: 9900,
      payment_status: 'refunded',
      remaining_refundable_cents: 0,
      created_at: '2026-11-20T09:00:00.000Z',
      already_refunded: false,
    });
    expect(await refundRows('pay_2')).toEqual([{ amount_cents: 9900, created_by: 'agent' }]);
    expect(await statusOf('payments', 'pay_2')).toBe('refunded');
    expect(await statusOf('invoices', 'INV-1001')).toBe('paid');
  });

  it('marks the invoice refunded once nothing paid on it remains', async () => {
    await refund({ payment_id: 'pay_oct', amount_cents: 4000 });
    expect(await statusOf('payments', 'pay_oct')).toBe('partially_refunded');
    expect(await statusOf('invoices', 'INV-1000')).toBe('paid');
    const rest = await refund({ payment_id: 'pay_oct', amount_cents: 5900 });
    expect(rest).toMatchObject({
      payment_status: 'refunded',
      refunded_total_cents: 9900,
      remaining_refundable_cents: 0,
    });
    expect(await statusOf('invoices', 'INV-1000')).toBe('refunded');
  });

  it('refuses a refund outside the refund window and cites the window', async () => {
    const error = await rejectionOf(refund({ payment_id: 'pay_sep', amount_cents: 9900 }));
    expect(error.kind).toBe('invalid_input');
    expect(error.message).toContain('30-day refund window');
    expect(error.message).toContain('2026-10-01');
    expect(await refundRows('pay_sep')).toEqual([]);
  });

  it("uses the world's refund window", async () => {
    const error = await rejectionOf(
      invoke(
        billing.operations.refund_payment!,
        { payment_id: 'pay_oct', amount_cents: 100 },
        context({ policy: { refund_window_days: 14 } }),
      ),
    );
    expect(error.message).toContain('14-day refund window');
    const longWindow = context({ policy: { refund_window_days: 90 } });
    await expect(
      invoke(billing.operations.refund_payment!, { payment_id: 'pay_sep', amount_cents: 100 }, longWindow),
    ).resolves.toMatchObject({
      payment_status: 'partially_refunded',
    });
  });

  it('refuses to refund more than is left', async () => {
    await refund({ payment_id: 'pay_1', amount_cents: 5000 });
    const error = await rejectionOf(refund({ payment_id: 'pay_1', amount_cents: 6000 }));
    expect(error.kind).toBe('invalid_input');
    expect(error.message).toContain('4900 of 9900');
    expect(await refundRows('pay_1')).toEqual([{ amount_cents: 5000, created_by: 'agent' }]);
  });

  it('refuses a failed payment and an unknown one', async () => {
    expect((await rejectionOf(refund({ payment_id: 'pay_failed', amount_cents: 9900 }))).kind).toBe(
      'invalid_input',
    );
    expect((await rejectionOf(refund({ payment_id: 'pay_nope', amount_cents: 9900 }))).kind).toBe(
      'not_found',
    );
  });

  it('refuses a zero or negative amount at the schema', async () => {
    await expect(refund({ payment_id: 'pay_2', amount_cents: 0 })).rejects.toThrow();
    await expect(refund({ payment_id: 'pay_2', amount_cents: -5 })).rejects.toThrow();
    await expect(refund({ payment_id: 'pay_2', amount_cents: 9900, account_id: 'acc_2' })).rejects.toThrow();
  });

  it('reports the earlier refund when the same refund is retried', async () => {
    const first = await refund({ payment_id: 'pay_2', amount_cents: 9900 });
    const retry = await refund({ payment_id: 'pay_2', amount_cents: 9900 });
    // Without a key the call cannot be told from another request's: that earlier refund is reported.
    expect(retry).toMatchObject({
      refund_id: first.refund_id,
      already_refunded: true,
      earlier_refund: true,
      payment_status: 'refunded',
    });
    expect(await refundRows('pay_2')).toHaveLength(1);
  });

  it('makes one partial refund when it is re-sent under the same idempotency key', async () => {
    // A worker that died after refunding, before recording it: its retry re-sends the same key while
    // the payment could still cover a second refund of this amount.
    const keyed = (key: string) => ({ ...context(), idempotencyKey: key });
    const input = { payment_id: 'pay_oct', amount_cents: 2000 };
    const first = await invoke(
      billing.operations.refund_payment!,
      input,
      keyed('conv_1:refund:pay_oct:2000'),
    );
    const resent = await invoke(
      billing.operations.refund_payment!,
      input,
      keyed('conv_1:refund:pay_oct:2000'),
    );
    expect(first).toMatchObject({
      refund_id: refundIdFor('conv_1:refund:pay_oct:2000'),
      already_refunded: false,
    });
    expect(resent).toMatchObject({
      refund_id: first.refund_id,
      already_refunded: true,
      earlier_refund: false,
      refunded_total_cents: 2000,
      remaining_refundable_cents: 7900,
    });
    expect(await refundRows('pay_oct')).toHaveLength(1);
    // Another key is another refund the customer asked for.
    const second = await invoke(
      billing.operations.refund_payment!,
      input,
      keyed('conv_2:refund:pay_oct:2000'),
    );
    expect(second).toMatchObject({ already_refunded: false, refunded_total_cents: 4000 });
    expect(await refundRows('pay_oct')).toHaveLength(2);
  });

  it('makes one refund when the same refund runs twice concurrently', async () => {
    const results = await Promise.all([
      refund({ payment_id: 'pay_2', amount_cents: 9900 }),
      refund({ payment_id: 'pay_2', amount_cents: 9900 }),
    ]);
    expect(results[0].refund_id).toBe(results[1].refund_id);
    expect(results.map((result) => result.already_refunded).sort()).toEqual([false, true]);
    expect(await refundRows('pay_2')).toHaveLength(1);
  });

  it('never refunds more than was paid when different refunds race', async () => {
    const outcomes = await Promise.allSettled([
      refund({ payment_id: 'pay_1', amount_cents: 6000 }),
      refund({ payment_id: 'pay_1', amount_cents: 5000 }),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const rows = await refundRows('pay_1');
    expect(rows).toHaveLength(1);
    expect(await statusOf('payments', 'pay_1')).toBe('partially_refunded');
  });

  it('commits nothing when the call was abandoned before commit', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    const abandoned = testContext(customerSession('ct_1', 'acc_1'), now, { signal: controller.signal });
    await expect(
      invoke(billing.operations.refund_payment!, { payment_id: 'pay_2', amount_cents: 9900 }, abandoned),
    ).rejects.toThrow('timed out');
    expect(await refundRows('pay_2')).toEqual([]);
    expect(await statusOf('payments', 'pay_2')).toBe('succeeded');
  });

  it('credits a human approver as the refund author', async () => {
    const human = testContext(
      { ...customerSession('ct_1', 'acc_1', { actor: 'human' }), actorId: 'ha_7' },
      now,
    );
    await invoke(billing.operations.refund_payment!, { payment_id: 'pay_2', amount_cents: 9900 }, human);
    expect(await refundRows('pay_2')).toEqual([{ amount_cents: 9900, created_by: 'human:ha_7' }]);
  });

  it('declares its natural idempotency key, ownership and approval limit', async () => {
    const operation = billing.operations.refund_payment!;
    expect(operation.idempotencyKey!({ payment_id: 'pay_2', amount_cents: 9900 })).toBe('refund:pay_2:9900');
    expect(operation.mayNeedApproval).toBe(true);
    expect(await operation.ownership!.ownerOf({ payment_id: 'pay_2' }, database.pool)).toBe('acc_1');
    expect(await operation.ownership!.ownerOf({ payment_id: 'pay_nope' }, database.pool)).toBeNull();
  });
});
