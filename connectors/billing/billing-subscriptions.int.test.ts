import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession, invoke, rejectionOf, testContext } from '../builtin-test-world.ts';
import { type BillingConnector, createBillingConnector } from './index.ts';

const now = '2026-11-20T09:00:00Z';

const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Northwind', tier: 'business', region: 'NA' },
    { id: 'acc_ent', name: 'Globex', tier: 'enterprise', region: 'NA' },
  ],
  contacts: [
    { id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' },
    { id: 'ct_2', account: 'acc_2', name: 'Ola Nordmann', email: 'ola@northwind.test' },
  ],
  subscriptions: [
    {
      id: 'sub_1',
      account: 'acc_1',
      plan: 'pro',
      status: 'active',
      period_start: '2026-11-01',
      period_end: '2026-12-01',
    },
    {
      id: 'sub_2',
      account: 'acc_2',
      plan: 'business',
      status: 'active',
      period_start: '2026-11-01',
      period_end: '2026-12-01',
    },
    { id: 'sub_ent', account: 'acc_ent', plan: 'enterprise', status: 'active', period_end: '2027-01-01' },
  ],
  invoices: [
    {
      id: 'INV-1001',
      account: 'acc_1',
      amount_cents: 9900,
      status: 'paid',
      issued_at: '2026-11-01',
      subscription: 'sub_1',
    },
    {
      id: 'INV-2001',
      account: 'acc_2',
      amount_cents: 49900,
      status: 'failed',
      issued_at: '2026-11-01',
      subscription: 'sub_2',
    },
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
      id: 'pay_f',
      invoice: 'INV-2001',
      amount_cents: 49900,
      status: 'failed',
      created_at: '2026-11-01T10:00:00Z',
      failure_reason: 'card_expired',
    },
  ],
};

let database: Database;
let billing: BillingConnector;
const maya = () => testContext(customerSession('ct_1', 'acc_1', { tier: 'pro' }), now);
const ola = (at = now) => testContext(customerSession('ct_2', 'acc_2', { tier: 'business' }), at);
const query = async (sql: string, values: unknown[] = []) => (await database.pool.query(sql, values)).rows;

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

describe(`billing.change_plan (${testDatabaseKind()})`, () => {
  it('charges the prorated upgrade to the card on file and moves plan and tier', async () => {
    const result = await invoke(
      billing.operations.change_plan!,
      { subscription_id: 'sub_1', plan: 'business' },
      maya(),
    );
    // (49900 − 9900) × 11 / 30 days.
    expect(result).toMatchObject({
      direction: 'upgrade',
      amount_charged_cents: 14_667,
      credit_cents: 0,
      credit_id: null,
      already_applied: false,
    });
    expect(result.invoice_id).toBe('INV-2002'); // one past the highest numbered invoice (INV-2001)
    expect(await query('SELECT plan_id FROM subscriptions WHERE id = $1', ['sub_1'])).toEqual([
      { plan_id: 'business' },
    ]);
    expect(await query('SELECT tier FROM accounts WHERE id = $1', ['acc_1'])).toEqual([{ tier: 'business' }]);
    expect(
      await query('SELECT amount_cents, status, issued_at::text AS issued_at FROM invoices WHERE id = $1', [
        'INV-2002',
      ]),
    ).toEqual([{ amount_cents: 14_667, status: 'paid', issued_at: '2026-11-20' }]);
    expect(
      await query('SELECT amount_cents, status, card_last4 FROM payments WHERE id = $1', [result.payment_id]),
    ).toEqual([{ amount_cents: 14_667, status: 'succeeded', card_last4: '4242' }]);
    expect(await query('SELECT from_plan, to_plan, proration_cents FROM plan_changes')).toEqual([
      { from_plan: 'pro', to_plan: 'business', proration_cents: 14_667 },
    ]);
  });

  it('credits a downgrade to the next invoice and charges nothing', async () => {
    const result = await invoke(
      billing.operations.change_plan!,
      { subscription_id: 'sub_2', plan: 'starter' },
      ola(),
    );
    // (2900 − 49900) × 11 / 30 = −17233.33.
    expect(result).toMatchObject({
      direction: 'downgrade',
      amount_charged_cents: 0,
      credit_cents: 17_233,
      invoice_id: null,
      payment_id: null,
    });
    expect(await query('SELECT account_id, amount_cents FROM credits')).toEqual([
      { account_id: 'acc_2', amount_cents: 17_233 },
    ]);
    expect(await query('SELECT count(*)::int AS n FROM invoices WHERE account_id = $1', ['acc_2'])).toEqual([
      { n: 1 },
    ]);
    expect(await query('SELECT proration_cents FROM plan_changes')).toEqual([{ proration_cents: -17_233 }]);
  });

  it('applies the previewed numbers', async () => {
    const preview = await invoke(
      billing.operations.preview_plan_change!,
      { subscription_id: 'sub_2', plan: 'pro' },
      ola(),
    );
    const change = await invoke(
      billing.operations.change_plan!,
      { subscription_id: 'sub_2', plan: 'pro' },
      ola(),
    );
    expect(change.credit_cents).toBe(preview.credit_cents);
    expect(change.amount_charged_cents).toBe(preview.amount_due_now_cents);
  });

  it('reports the applied change when retried, without charging twice', async () => {
    const first = await invoke(
      billing.operations.change_plan!,
      { subscription_id: 'sub_1', plan: 'business' },
      maya(),
    );
    const retry = await invoke(
      billing.operations.change_plan!,
      { subscription_id: 'sub_1', plan: 'business' },
      maya(),
    );
    expect(retry).toEqual({ ...first, already_applied: true });
    expect(await query('SELECT count(*)::int AS n FROM plan_changes')).toEqual([{ n: 1 }]);
    expect(await query('SELECT count(*)::int AS n FROM invoices')).toEqual([{ n: 3 }]);
  });

  it('changes once when the same change runs twice concurrently', async () => {
    const input = { subscription_id: 'sub_1', plan: 'business' };
    const [a, b] = await Promise.all([
      invoke(billing.operations.change_plan!, input, maya()),
      invoke(billing.operations.change_plan!, input, maya()),
    ]);
    expect(a.plan_change_id).toBe(b.plan_change_id);
    expect(await query('SELECT count(*)::int AS n FROM payments')).toEqual([{ n: 3 }]);
  });

  it('refuses Enterprise (by contract) and the current plan, changing nothing', async () => {
    const toEnterprise = await rejectionOf(
      invoke(billing.operations.change_plan!, { subscription_id: 'sub_1', plan: 'enterprise' }, maya()),
    );
    expect(toEnterprise.kind).toBe('invalid_input');
    expect(toEnterprise.message).toMatch(/by contract/);
    const samePlan = await rejectionOf(
      invoke(billing.operations.change_plan!, { subscription_id: 'sub_1', plan: 'pro' }, maya()),
    );
    expect(samePlan.message).toMatch(/already on the Pro plan/);
    expect(await query('SELECT count(*)::int AS n FROM plan_changes')).toEqual([{ n: 0 }]);
    expect(await query('SELECT plan_id FROM subscriptions WHERE id = $1', ['sub_1'])).toEqual([
      { plan_id: 'pro' },
    ]);
  });
});

describe(`billing.cancel_subscription (${testDatabaseKind()})`, () => {
  it('cancels at period end: still active until then', async () => {
    const result = await invoke(
      billing.operations.cancel_subscription!,
      { subscription_id: 'sub_1', at_period_end: true },
      maya(),
    );
    expect(result).toEqual({
      subscription_id: 'sub_1',
      status: 'active',
      cancel_at_period_end: true,
      cancelled_at: null,
      period_end: '2026-12-01',
      ends_on: '2026-12-01',
      already_cancelled: false,
    });
    const again = await invoke(billing.operations.cancel_subscription!, { subscription_id: 'sub_1' }, maya());
    expect(again).toMatchObject({ status: 'active', cancel_at_period_end: true, already_cancelled: true });
  });

  it('cancels immediately when asked', async () => {
    const result = await invoke(
      billing.operations.cancel_subscription!,
      { subscription_id: 'sub_1', at_period_end: false },
      maya(),
    );
    expect(result).toMatchObject({
      status: 'cancelled',
      cancelled_at: '2026-11-20T09:00:00.000Z',
      ends_on: '2026-11-20',
      already_cancelled: false,
    });
    expect(
      await query('SELECT status, cancel_at_period_end FROM subscriptions WHERE id = $1', ['sub_1']),
    ).toEqual([{ status: 'cancelled', cancel_at_period_end: false }]);
    const get = await rejectionOf(
      invoke(billing.operations.get_subscription!, { account_id: 'acc_1' }, maya()),
    );
    expect(get.kind).toBe('not_found');
  });

  it('has one idempotency key per subscription and resolves its owner', async () => {
    const operation = billing.operations.cancel_subscription!;
    expect(operation.idempotencyKey!({ subscription_id: 'sub_1', at_period_end: true })).toBe('cancel:sub_1');
    expect(await operation.ownership!.ownerOf({ subscription_id: 'sub_ent' }, database.pool)).toBe('acc_ent');
    expect(await operation.ownership!.ownerOf({ subscription_id: 'sub_x' }, database.pool)).toBeNull();
  });
});

describe(`billing.retry_payment (${testDatabaseKind()})`, () => {
  it('schedules one retry of a failed payment an hour out and returns it when asked again', async () => {
    const first = await invoke(billing.operations.retry_payment!, { payment_id: 'pay_f' }, ola());
    expect(first).toMatchObject({
      payment_id: 'pay_f',
      scheduled_for: '2026-11-20T10:00:00.000Z',
      status: 'scheduled',
      already_scheduled: false,
    });
    const again = await invoke(billing.operations.retry_payment!, { payment_id: 'pay_f' }, ola());
    expect(again).toEqual({ ...first, already_scheduled: true });
    expect(await query('SELECT count(*)::int AS n FROM payment_retries')).toEqual([{ n: 1 }]);
  });

  it('refuses a payment that did not fail', async () => {
    const error = await rejectionOf(
      invoke(billing.operations.retry_payment!, { payment_id: 'pay_1' }, maya()),
    );
    expect(error.kind).toBe('invalid_input');
    expect(await query('SELECT count(*)::int AS n FROM payment_retries')).toEqual([{ n: 0 }]);
  });
});

describe(`billing.send_payment_link (${testDatabaseKind()})`, () => {
  const send = (at = now) => invoke(billing.operations.send_payment_link!, { contact_id: 'ct_2' }, ola(at));
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

  it('returns a signed 24-hour link whose token verifies, storing only its hash', async () => {
    const link = await send();
    expect(link.url.startsWith('https://billing.example.test/update-payment?token=')).toBe(true);
    expect(link.expires_at).toBe('2026-11-21T09:00:00.000Z');
    const token = tokenOf(link.url);
    const stored = await query('SELECT contact_id, token_hash FROM payment_links');
    expect(stored).toHaveLength(1);
    expect(stored[0].contact_id).toBe('ct_2');
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[2]);
    expect(await billing.verifyPaymentLink(token, new Date('2026-11-21T08:59:59Z'))).toEqual({
      valid: true,
      link_id: link.link_id,
      contact_id: 'ct_2',
      expires_at: link.expires_at,
    });
  });

  it('refuses the token once expired, tampered with, used, or unknown', async () => {
    const token = tokenOf((await send()).url);
    expect(await billing.verifyPaymentLink(token, new Date('2026-11-21T09:00:00Z'))).toEqual({
      valid: false,
      reason: 'expired',
    });
    expect(
      await billing.verifyPaymentLink(
        `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
        new Date(now),
      ),
    ).toMatchObject({
      reason: 'bad_signature',
    });
    const other = createBillingConnector({
      db: database.pool,
      paymentLinkSecret: 'another-secret-of-at-least-32-characters',
      paymentLinkBaseUrl: 'https://billing.example.test/',
    });
    expect(await other.verifyPaymentLink(token, new Date(now))).toMatchObject({ reason: 'bad_signature' });
    await database.pool.query('UPDATE payment_links SET used_at = now()');
    expect(await billing.verifyPaymentLink(token, new Date(now))).toMatchObject({ reason: 'used' });
    await database.pool.query('DELETE FROM payment_links');
    expect(await billing.verifyPaymentLink(token, new Date(now))).toMatchObject({ reason: 'unknown' });
  });

  it('hands out the same unused link again the same day, and a new one the next day', async () => {
    const first = await send();
    const again = await send('2026-11-20T15:00:00Z');
    expect(again).toEqual({ ...first, reused: true });
    const nextDay = await send('2026-11-21T10:00:00Z');
    expect(nextDay.link_id).not.toBe(first.link_id);
    expect(await query('SELECT count(*)::int AS n FROM payment_links')).toEqual([{ n: 2 }]);
  });

  it('refuses a weak secret or a bad base URL at construction', () => {
    expect(() =>
      createBillingConnector({
        db: database.pool,
        paymentLinkSecret: 'short',
        paymentLinkBaseUrl: 'https://x.test',
      }),
    ).toThrow(/32/);
    expect(() =>
      createBillingConnector({
        db: database.pool,
        paymentLinkSecret: 'x'.repeat(40),
        paymentLinkBaseUrl: 'not a url',
      }),
    ).toThrow();
  });
});
