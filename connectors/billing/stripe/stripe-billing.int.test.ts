import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { seconds, stripeSeeder } from '../../../test/fakes/stripe/seed.ts';
import { type FakeStripe, startFakeStripe } from '../../../test/fakes/stripe/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { customerSession } from '../../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../../core/connector-gateway.ts';
import { billingPolicy } from '../policy.ts';
import { createStripeBillingConnector } from './index.ts';

const now = new Date('2026-11-20T09:00:00Z');
const emails: Record<string, string> = {
  ct_1: 'maya@brightpath.io',
  ct_2: 'ola@northwind.test',
  ct_3: 'tom@brightpath.io', // Maya's colleague: no Stripe customer has his email
  ct_4: 'ana@northwind.test', // Ola's colleague: Ola's Stripe customer names no account
};
const accounts: Record<string, string> = { 'ola@northwind.test': 'acc_2' };

let database: Database;
let fake: FakeStripe;
let gateway: ManagedConnectorGateway;
const world = {} as {
  maya: string;
  subscription: string;
  paid: { invoice: string; first: string; duplicate: string };
  failed: { invoice: string; charge: string };
  old: string;
  partial: string;
  foreignInvoice: string;
  foreignCharge: string;
  businessPrice: string;
};
const maya = customerSession('ct_1', 'acc_1', { tier: 'pro', conversationId: 'conv_s1' });
const refundsOf = (charge: string) =>
  [...fake.state.refunds.values()].filter((refund) => refund.charge === charge);

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeStripe({ now: seconds(now.toISOString()) });
  const seed = stripeSeeder(fake);
  const pro = await seed.plan('pro', 9900, 'Pro');
  world.businessPrice = await seed.plan('business', 49900, 'Business');
  world.maya = await seed.customer(emails.ct_1!, { accountId: 'acc_1' });
  const ola = await seed.customer(emails.ct_2!); // no metadata: bound through the CRM email
  world.subscription = await seed.subscription(world.maya, pro, {
    start: '2026-11-01T00:00:00Z',
    end: '2026-12-01T00:00:00Z',
  });
  const paid = seed.invoice(world.maya, {
    total: 9900,
    created: '2026-11-01T10:00:00Z',
    subscription: world.subscription,
    charges: [{ created: '2026-11-01T10:00:00Z' }, { created: '2026-11-01T10:00:09Z' }],
  });
  world.paid = { invoice: paid.invoice.id, first: paid.charges[0]!.id, duplicate: paid.charges[1]!.id };
  const failed = seed.invoice(world.maya, {
    total: 2900,
    created: '2026-11-15T10:00:00Z',
    status: 'open',
    charges: [
      {
        created: '2026-11-15T10:00:00Z',
        status: 'failed',
        outcome_reason: 'expired_card',
        failure_code: 'card_declined',
      },
    ],
  });
  world.failed = { invoice: failed.invoice.id, charge: failed.charges[0]!.id };
  world.old = seed.invoice(world.maya, {
    total: 15000,
    created: '2026-10-05T10:00:00Z',
    charges: [{ created: '2026-10-05T10:00:00Z' }],
  }).charges[0]!.id;
  world.partial = seed.invoice(world.maya, {
    total: 5000,
    created: '2026-11-10T10:00:00Z',
    charges: [{ created: '2026-11-10T10:00:00Z' }],
  }).charges[0]!.id;
  const foreign = seed.invoice(ola, {
    total: 9900,
    created: '2026-11-01T10:00:00Z',
    charges: [{ created: '2026-11-01T10:00:00Z' }],
  });
  world.foreignInvoice = foreign.invoice.id;
  world.foreignCharge = foreign.charges[0]!.id;

  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [
      createStripeBillingConnector({
        secretKey: fake.secretKey,
        apiBase: fake.url,
        customerOf: async (session) =>
          session.customer ? { email: emails[session.customer.contactId]! } : null,
        accountOfEmail: async (email) => accounts[email] ?? null,
      }),
    ],
    policies: { billing: billingPolicy },
    policy: async () => ({ auto_refund_limit_cents: 20_000, refund_window_days: 30 }),
    now: () => new Date(now),
    policyCacheMs: 0,
    resilience: { retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 5 } },
  });
});
afterAll(async () => {
  await gateway?.close();
  await fake?.close();
  await database?.close();
});

const call = (operation: string, input: Record<string, unknown>, session = maya) =>
  gateway.callByName(session, 'billing', operation, input);

describe(`the Stripe billing backend through the gateway (${testDatabaseKind()})`, () => {
  it('reads the subscription from the Stripe customer bound to the session', async () => {
    const result = await call('get_subscription', {});
    expect(result).toMatchObject({
      status: 'ok',
      data: {
        id: world.subscription,
        status: 'active',
        plan: { id: 'pro', name: 'Pro', price_cents: 9900 },
        period_start: '2026-11-01',
        period_end: '2026-12-01',
        cancel_at_period_end: false,
      },
    });
  });

  it('lists invoices and payments in the contract shapes, a failed charge explained', async () => {
    const invoices = await call('list_invoices', {});
    expect(invoices.status).toBe('ok');
    const rows = (invoices as { data: { invoices: Array<{ id: string; status: string }> } }).data.invoices;
    expect(rows.map((row) => [row.id, row.status])).toEqual(
      expect.arrayContaining([
        [world.paid.invoice, 'paid'],
        [world.failed.invoice, 'failed'],
      ]),
    );
    const payments = await call('list_payments', { invoice_id: world.failed.invoice });
    expect(payments).toMatchObject({
      status: 'ok',
      data: {
        payments: [
          {
            id: world.failed.charge,
            status: 'failed',
            failure_reason: 'card_expired',
            customer_action: expect.any(String),
          },
        ],
      },
    });
    const invoice = await call('get_invoice', { invoice_id: world.paid.invoice });
    expect(invoice).toMatchObject({
      status: 'ok',
      data: {
        id: world.paid.invoice,
        amount_cents: 9900,
        refunded_cents: 0,
        payments: [{ id: world.paid.first }, { id: world.paid.duplicate }],
      },
    });
  });

  it('finds the duplicate charge with one invoice list and one charge list, never a call per charge', async () => {
    fake.requests.length = 0;
    const result = await call('find_duplicate_charges', {});
    expect(result).toMatchObject({
      status: 'ok',
      data: {
        duplicates: [
          {
            payment_id: world.paid.duplicate,
            original_payment_id: world.paid.first,
            invoice_id: world.paid.invoice,
            amount_cents: 9900,
            within_refund_window: true,
          },
        ],
      },
    });
    expect(fake.requests.filter((request) => request.operation === 'charges.list')).toHaveLength(1);
    expect(fake.requests.filter((request) => request.operation === 'charges.retrieve')).toHaveLength(0);
  });

  it("refuses another Stripe customer's invoice and charge (forbidden) and refunds nothing", async () => {
    expect(await call('get_invoice', { invoice_id: world.foreignInvoice })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(
      await call('refund_payment', { payment_id: world.foreignCharge, amount_cents: 9900 }),
    ).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(refundsOf(world.foreignCharge)).toHaveLength(0);
  });

  it("serves a colleague of the account's billing contact from the Stripe customer that names their account", async () => {
    const tom = customerSession('ct_3', 'acc_1', { tier: 'pro', conversationId: 'conv_s3' });
    expect(await call('get_subscription', {}, tom)).toMatchObject({
      status: 'ok',
      data: { id: world.subscription, plan: { id: 'pro' } },
    });
    expect(fake.requests.some((request) => request.operation === 'customers.search')).toBe(true);
    // Without the metadata nothing names the account: no guessing from a colleague's customer.
    const ana = customerSession('ct_4', 'acc_2', { tier: 'pro', conversationId: 'conv_s4' });
    expect(await call('get_subscription', {}, ana)).toMatchObject({
      status: 'error',
      error: { kind: 'not_found' },
    });
  });

  it('refunds the duplicate once at Stripe, the repeated call replayed', async () => {
    const first = await call('refund_payment', { payment_id: world.paid.duplicate, amount_cents: 9900 });
    expect(first).toMatchObject({
      status: 'ok',
      data: {
        payment_status: 'refunded',
        already_refunded: false,
        earlier_refund: false,
        refunded_total_cents: 9900,
      },
    });
    const again = await call('refund_payment', { payment_id: world.paid.duplicate, amount_cents: 9900 });
    expect(again).toMatchObject({ status: 'ok', replayed: true });
    expect(refundsOf(world.paid.duplicate)).toHaveLength(1);
    const request = fake.requests.find((candidate) => candidate.operation === 'refunds.create');
    expect(request?.idempotencyKey).toBe(
      `conv_s1:billing.refund_payment:refund:${world.paid.duplicate}:9900`,
    );
  });

  it('answers a second conversation with the refund the first one made, never a second refund', async () => {
    // Runs after the duplicate was refunded in conv_s1: conv_s2 confirms the same refund under its own key.
    const other = customerSession('ct_1', 'acc_1', { tier: 'pro', conversationId: 'conv_s2' });
    const firstRefund = refundsOf(world.paid.duplicate)[0]!;
    const again = await call(
      'refund_payment',
      { payment_id: world.paid.duplicate, amount_cents: 9900 },
      other,
    );
    expect(again).toMatchObject({
      status: 'ok',
      replayed: false,
      data: { refund_id: firstRefund.id, already_refunded: true, earlier_refund: true, amount_cents: 9900 },
    });
    expect(refundsOf(world.paid.duplicate)).toHaveLength(1);
    expect(fake.requests.some((request) => request.operation === 'refunds.list')).toBe(true);
  });

  it('makes one refund when the answers are lost after Stripe refunded (retried under the same key)', async () => {
    fake.failNext('lost_response', { operation: 'refunds.create', times: 2 });
    const result = await call('refund_payment', { payment_id: world.partial, amount_cents: 2000 });
    expect(result).toMatchObject({
      status: 'ok',
      data: { payment_status: 'partially_refunded', refunded_total_cents: 2000, already_refunded: true },
    });
    expect(refundsOf(world.partial)).toHaveLength(1);
    expect(fake.state.charges.get(world.partial)?.amount_refunded).toBe(2000);
  });

  it('refuses a refund outside the refund window', async () => {
    expect(await call('refund_payment', { payment_id: world.old, amount_cents: 15000 })).toMatchObject({
      status: 'error',
      error: { kind: 'invalid_input', message: expect.stringContaining('refund window') },
    });
  });

  it("previews and applies an upgrade with Stripe's proration, the card charged", async () => {
    const share = (seconds('2026-12-01T00:00:00Z') - seconds(now.toISOString())) / (30 * 86_400);
    const expected = Math.round(49900 * share) - Math.round(9900 * share);
    const preview = await call('preview_plan_change', {
      subscription_id: world.subscription,
      plan: 'business',
    });
    expect(preview).toMatchObject({
      status: 'ok',
      data: { direction: 'upgrade', amount_due_now_cents: expected, credit_cents: 0, new_price_cents: 49900 },
    });
    const change = await call('change_plan', { subscription_id: world.subscription, plan: 'business' });
    expect(change).toMatchObject({
      status: 'ok',
      data: { from_plan: 'pro', to_plan: 'business', amount_charged_cents: expected, already_applied: false },
    });
    const data = (change as { data: { invoice_id: string; payment_id: string } }).data;
    expect(fake.state.charges.get(data.payment_id)).toMatchObject({ amount: expected, status: 'succeeded' });
    expect(fake.state.subscriptions.get(world.subscription)?.items[0]?.price).toBe(world.businessPrice);
  });

  it('cancels at the period end once', async () => {
    const first = await call('cancel_subscription', { subscription_id: world.subscription });
    expect(first).toMatchObject({
      status: 'ok',
      data: {
        status: 'active',
        cancel_at_period_end: true,
        cancelled_at: null,
        ends_on: '2026-12-01',
        already_cancelled: false,
      },
    });
    const second = await call(
      'cancel_subscription',
      { subscription_id: world.subscription },
      { ...maya, conversationId: 'conv_s2' },
    );
    expect(second).toMatchObject({ status: 'ok', data: { already_cancelled: true } });
  });

  it('retries a failed invoice payment with invoices.pay and sends a portal link', async () => {
    const retry = await call('retry_payment', { payment_id: world.failed.charge });
    expect(retry).toMatchObject({
      status: 'ok',
      data: { payment_id: world.failed.charge, status: 'scheduled', already_scheduled: false },
    });
    expect(fake.state.invoices.get(world.failed.invoice)?.status).toBe('paid');
    const link = await call('send_payment_link', {});
    expect(link).toMatchObject({
      status: 'ok',
      data: {
        url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\//),
        expires_at: '2026-11-22T00:00:00.000Z',
        reused: false,
      },
    });
    const session = [...fake.state.portalSessions.values()].at(-1);
    expect(session).toMatchObject({ customer: world.maya, flow: 'payment_method_update' });
  });
});
