import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession, invoke, rejectionOf, testContext } from '../builtin-test-world.ts';
import { type BillingConnector, createBillingConnector } from './index.ts';

const now = '2026-11-20T09:00:00Z';
const payment = (id: string, invoice: string, created_at: string, extra: Record<string, unknown> = {}) => ({
  id,
  invoice,
  amount_cents: 9900,
  status: 'succeeded' as const,
  created_at,
  ...extra,
});

// The tests share one world: the one that writes puts everything back.
const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Northwind', tier: 'starter', region: 'NA' },
    { id: 'acc_ent', name: 'Globex', tier: 'enterprise', region: 'NA' },
    { id: 'acc_none', name: 'Quiet Co', tier: 'free', region: 'APAC' },
  ],
  contacts: [
    { id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' },
    { id: 'ct_2', account: 'acc_2', name: 'Ola Nordmann', email: 'ola@northwind.test' },
  ],
  subscriptions: [
    { id: 'sub_old', account: 'acc_1', plan: 'starter', status: 'cancelled', period_end: '2026-06-01' },
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
      plan: 'starter',
      status: 'active',
      period_start: '2026-11-10',
      period_end: '2026-12-10',
    },
    { id: 'sub_ent', account: 'acc_ent', plan: 'enterprise', status: 'active', period_end: '2027-01-01' },
  ],
  invoices: [
    { id: 'INV-0900', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-09-01' },
    { id: 'INV-1000', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-10-01' },
    { id: 'INV-1001', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
    { id: 'INV-1003', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-05' },
    { id: 'INV-2001', account: 'acc_2', amount_cents: 2900, status: 'failed', issued_at: '2026-11-10' },
    { id: 'INV-2002', account: 'acc_2', amount_cents: 9900, status: 'paid', issued_at: '2026-11-11' },
  ],
  payments: [
    payment('pay_sep', 'INV-0900', '2026-09-01T10:00:00Z'),
    payment('pay_sep_dup', 'INV-0900', '2026-09-01T10:05:00Z'),
    payment('pay_oct', 'INV-1000', '2026-10-01T10:00:00Z'),
    payment('pay_1', 'INV-1001', '2026-11-01T10:00:00Z', { card_last4: '4242' }),
    payment('pay_2', 'INV-1001', '2026-11-01T10:00:09Z', { card_last4: '4242' }),
    // Same invoice and amount but 26 hours apart: a re-bill, not a duplicate.
    payment('pay_a', 'INV-1003', '2026-11-05T10:00:00Z'),
    payment('pay_b', 'INV-1003', '2026-11-06T12:00:00Z'),
    payment('pay_f', 'INV-2001', '2026-11-10T10:00:00Z', {
      amount_cents: 2900,
      status: 'failed',
      failure_reason: 'card_expired',
    }),
    payment('pay_w', 'INV-2001', '2026-11-10T11:00:00Z', {
      amount_cents: 2900,
      status: 'failed',
      failure_reason: 'weird_code',
    }),
    // acc_2 was charged twice too, but it is not acc_1's business.
    payment('pay_n1', 'INV-2002', '2026-11-11T10:00:00Z'),
    payment('pay_n2', 'INV-2002', '2026-11-11T10:01:00Z'),
  ],
};

let database: Database;
let billing: BillingConnector;
const maya = testContext(customerSession('ct_1', 'acc_1'), now);
const ola = testContext(customerSession('ct_2', 'acc_2'), now);
const read = (name: string, input: Record<string, unknown>, context = maya) =>
  invoke(billing.operations[name]!, input, context);

beforeAll(async () => {
  database = await createTestDatabase();
  billing = createBillingConnector({
    db: database.pool,
    paymentLinkSecret: 'x'.repeat(40),
    paymentLinkBaseUrl: 'https://pay.test/',
  });
  await loadWorld(database.pool, world);
});
afterAll(async () => database?.close());

describe(`billing reads (${testDatabaseKind()})`, () => {
  it('find_duplicate_charges finds exactly the later charge of each duplicate pair', async () => {
    const result = await read('find_duplicate_charges', { account_id: 'acc_1' });
    expect(result.duplicates).toEqual([
      {
        payment_id: 'pay_sep_dup',
        original_payment_id: 'pay_sep',
        invoice_id: 'INV-0900',
        amount_cents: 9900,
        created_at: '2026-09-01T10:05:00.000Z',
        within_refund_window: false,
        refund_window_ends_at: '2026-10-01T10:05:00.000Z',
      },
      {
        payment_id: 'pay_2',
        original_payment_id: 'pay_1',
        invoice_id: 'INV-1001',
        amount_cents: 9900,
        created_at: '2026-11-01T10:00:09.000Z',
        within_refund_window: true,
        refund_window_ends_at: '2026-12-01T10:00:09.000Z',
      },
    ]);
    const oneInvoice = await read('find_duplicate_charges', { account_id: 'acc_1', invoice_id: 'INV-1001' });
    expect(oneInvoice.duplicates.map((duplicate: { payment_id: string }) => duplicate.payment_id)).toEqual([
      'pay_2',
    ]);
    expect(
      (await read('find_duplicate_charges', { account_id: 'acc_1', invoice_id: 'INV-1003' })).duplicates,
    ).toEqual([]);
  });

  it('find_duplicate_charges stops listing a duplicate once it is refunded', async () => {
    await database.pool.query(
      `INSERT INTO refunds (id, payment_id, amount_cents, reason) VALUES ('re_t', 'pay_2', 9900, 'dup')`,
    );
    await database.pool.query(`UPDATE payments SET status = 'refunded' WHERE id = 'pay_2'`);
    try {
      expect(
        (await read('find_duplicate_charges', { account_id: 'acc_1', invoice_id: 'INV-1001' })).duplicates,
      ).toEqual([]);
    } finally {
      await database.pool.query(`DELETE FROM refunds WHERE id = 're_t'`);
      await database.pool.query(`UPDATE payments SET status = 'succeeded' WHERE id = 'pay_2'`);
    }
  });

  it('preview_plan_change prorates an upgrade to the day', async () => {
    const preview = await read('preview_plan_change', { subscription_id: 'sub_1', plan: 'business' });
    expect(preview).toEqual({
      subscription_id: 'sub_1',
      from_plan: 'pro',
      to_plan: 'business',
      direction: 'upgrade',
      current_price_cents: 9900,
      new_price_cents: 49900,
      days_in_period: 30,
      days_remaining: 11,
      amount_due_now_cents: 14_667,
      credit_cents: 0,
      effective_on: '2026-11-20',
      period_end: '2026-12-01',
    });
  });

  it('preview_plan_change credits a downgrade', async () => {
    const preview = await read('preview_plan_change', { subscription_id: 'sub_2', plan: 'free' }, ola);
    // 2900 × 20 / 30 days left of 2026-11-10 → 2026-12-10.
    expect(preview).toMatchObject({
      direction: 'downgrade',
      days_remaining: 20,
      days_in_period: 30,
      amount_due_now_cents: 0,
      credit_cents: 1933,
    });
  });

  it('preview_plan_change refuses Enterprise either way, and the current plan', async () => {
    const toEnterprise = await rejectionOf(
      read('preview_plan_change', { subscription_id: 'sub_1', plan: 'enterprise' }),
    );
    expect(toEnterprise).toMatchObject({
      kind: 'invalid_input',
      message: expect.stringMatching(/by contract/),
    });
    const ent = testContext(customerSession('ct_x', 'acc_ent'), now);
    const fromEnterprise = await rejectionOf(
      read('preview_plan_change', { subscription_id: 'sub_ent', plan: 'pro' }, ent),
    );
    expect(fromEnterprise.message).toMatch(/by contract/);
    expect(
      (await rejectionOf(read('preview_plan_change', { subscription_id: 'sub_1', plan: 'pro' }))).kind,
    ).toBe('invalid_input');
    expect(
      (await rejectionOf(read('preview_plan_change', { subscription_id: 'sub_old', plan: 'pro' }))).message,
    ).toMatch(/cancelled/);
    await expect(
      read('preview_plan_change', { subscription_id: 'sub_1', plan: 'platinum' }),
    ).rejects.toThrow();
  });

  it('get_subscription returns the current subscription with its plan and price', async () => {
    expect(await read('get_subscription', { account_id: 'acc_1' })).toEqual({
      id: 'sub_1',
      account_id: 'acc_1',
      status: 'active',
      plan: { id: 'pro', name: 'Pro', price_cents: 9900 },
      period_start: '2026-11-01',
      period_end: '2026-12-01',
      cancel_at_period_end: false,
      cancelled_at: null,
    });
    expect((await read('get_subscription', { account_id: 'acc_ent' })).plan).toEqual({
      id: 'enterprise',
      name: 'Enterprise',
      price_cents: null,
    });
    expect((await rejectionOf(read('get_subscription', { account_id: 'acc_none' }))).kind).toBe('not_found');
  });

  it('list_invoices lists only the account’s invoices, newest first', async () => {
    const result = await read('list_invoices', { account_id: 'acc_1', limit: 3 });
    expect(result.invoices.map((invoice: { id: string }) => invoice.id)).toEqual([
      'INV-1003',
      'INV-1001',
      'INV-1000',
    ]);
    expect(result.invoices[0]).toMatchObject({
      amount_cents: 9900,
      status: 'paid',
      issued_at: '2026-11-05',
      currency: 'usd',
    });
    expect((await read('list_invoices', { account_id: 'acc_1' })).invoices).toHaveLength(4);
  });

  it('get_invoice returns the invoice with its payments', async () => {
    const invoice = await read('get_invoice', { invoice_id: 'INV-1001' });
    expect(invoice).toMatchObject({
      id: 'INV-1001',
      account_id: 'acc_1',
      amount_cents: 9900,
      refunded_cents: 0,
    });
    expect(invoice.payments.map((entry: { id: string }) => entry.id)).toEqual(['pay_1', 'pay_2']);
    expect((await rejectionOf(read('get_invoice', { invoice_id: 'INV-nope' }))).kind).toBe('not_found');
  });

  it('list_payments filters by invoice and never lists another account’s payments', async () => {
    const mine = await read('list_payments', { account_id: 'acc_1', invoice_id: 'INV-1001' });
    expect(mine.payments.map((entry: { id: string }) => entry.id)).toEqual(['pay_2', 'pay_1']);
    expect((await read('list_payments', { account_id: 'acc_1', invoice_id: 'INV-2002' })).payments).toEqual(
      [],
    );
    expect((await read('list_payments', { account_id: 'acc_1', limit: 100 })).payments).toHaveLength(7);
  });

  it('get_payment explains a failure in words and the refund state of a charge', async () => {
    const failed = await read('get_payment', { payment_id: 'pay_f' }, ola);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'card_expired', refundable_cents: 0 });
    expect(failed.failure_explanation).toMatch(/expired/);
    expect(failed.customer_action).toMatch(/payment link/);
    expect((await read('get_payment', { payment_id: 'pay_w' }, ola)).failure_explanation).toBe(
      'The payment was declined (weird code).',
    );
    const charge = await read('get_payment', { payment_id: 'pay_2' });
    expect(charge).toMatchObject({
      refundable_cents: 9900,
      within_refund_window: true,
      failure_explanation: null,
    });
    expect((await read('get_payment', { payment_id: 'pay_sep' })).within_refund_window).toBe(false);
  });

  it('ownership resolvers name the owning account, or null for unknown records', async () => {
    const owner = (name: string, input: Record<string, unknown>) =>
      billing.operations[name]!.ownership!.ownerOf(input, database.pool);
    expect(await owner('get_payment', { payment_id: 'pay_n1' })).toBe('acc_2');
    expect(await owner('get_invoice', { invoice_id: 'INV-1001' })).toBe('acc_1');
    expect(await owner('preview_plan_change', { subscription_id: 'sub_2', plan: 'pro' })).toBe('acc_2');
    expect(await owner('list_payments', { account_id: 'acc_1', invoice_id: 'INV-2002' })).toBe('acc_2');
    expect(await owner('list_payments', { account_id: 'acc_1' })).toBe('acc_1');
    expect(await owner('get_payment', { payment_id: 'nope' })).toBeNull();
    expect(await owner('get_invoice', { invoice_id: 'nope' })).toBeNull();
    expect(await owner('change_plan', { subscription_id: 'nope', plan: 'pro' })).toBeNull();
  });

  it('declares customer keys, cacheable reads and scopes', () => {
    const operations = billing.operations;
    expect(operations.get_subscription!.customerKey).toEqual({ field: 'account_id', from: 'accountId' });
    expect(operations.send_payment_link!.customerKey).toEqual({ field: 'contact_id', from: 'contactId' });
    for (const name of ['get_subscription', 'list_invoices']) expect(operations[name]!.cacheable).toBe(true);
    for (const operation of Object.values(operations)) {
      expect(operation.scopes.every((scope) => billing.grantedScopes.includes(scope))).toBe(true);
      if (operation.effect === 'write') expect(operation.idempotencyKey).toBeTypeOf('function');
    }
  });

  it('check() reports row counts', async () => {
    expect(await billing.check(new AbortController().signal)).toEqual({
      ok: true,
      detail: '4 subscriptions, 6 invoices, 11 payments',
    });
  });
});
