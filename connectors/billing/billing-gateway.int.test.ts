import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import { readPolicy } from '../../db/world/policy.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession } from '../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../core/connector-gateway.ts';
import { billingPolicy, createBillingConnector } from './index.ts';

const now = new Date('2026-11-20T09:00:00Z');

const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Northwind', tier: 'pro', region: 'NA' },
    { id: 'acc_ent', name: 'Globex', tier: 'enterprise', region: 'NA' },
  ],
  contacts: [
    { id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' },
    { id: 'ct_2', account: 'acc_2', name: 'Ola Nordmann', email: 'ola@northwind.test' },
    { id: 'ct_ent', account: 'acc_ent', name: 'Gus Globex', email: 'gus@globex.test' },
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
    { id: 'sub_ent', account: 'acc_ent', plan: 'enterprise', status: 'active', period_end: '2027-01-01' },
  ],
  invoices: [
    { id: 'INV-1001', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
    { id: 'INV-1002', account: 'acc_1', amount_cents: 45000, status: 'paid', issued_at: '2026-11-02' },
    { id: 'INV-2001', account: 'acc_2', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
  ],
  payments: [
    {
      id: 'pay_1',
      invoice: 'INV-1001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:00Z',
    },
    {
      id: 'pay_2',
      invoice: 'INV-1001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:09Z',
    },
    {
      id: 'pay_big',
      invoice: 'INV-1002',
      amount_cents: 45000,
      status: 'succeeded',
      created_at: '2026-11-02T10:00:00Z',
    },
    {
      id: 'pay_n',
      invoice: 'INV-2001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:00Z',
    },
  ],
  policy: { auto_refund_limit_cents: 20000, refund_window_days: 30 },
};

let database: Database;
let gateway: ManagedConnectorGateway;
const maya = customerSession('ct_1', 'acc_1', { tier: 'pro', conversationId: 'conv_1' });
const refundCount = async (paymentId: string) =>
  (await database.pool.query('SELECT count(*)::int AS n FROM refunds WHERE payment_id = $1', [paymentId]))
    .rows[0].n;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadWorld(database.pool, world);
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [
      createBillingConnector({
        db: database.pool,
        paymentLinkSecret: 'x'.repeat(40),
        paymentLinkBaseUrl: 'https://pay.test/u',
      }),
    ],
    policies: { billing: billingPolicy },
    policy: () => readPolicy(database.pool),
    now: () => new Date(now),
    policyCacheMs: 0,
  });
});
afterAll(async () => {
  await gateway?.close();
  await database?.close();
});

describe(`billing through the gateway (${testDatabaseKind()})`, () => {
  it('refunds a duplicate charge once, replaying the result when the call is repeated', async () => {
    const first = await gateway.callByName(maya, 'billing', 'refund_payment', {
      payment_id: 'pay_2',
      amount_cents: 9900,
    });
    expect(first).toMatchObject({
      status: 'ok',
      replayed: false,
      data: { payment_status: 'refunded', already_refunded: false },
    });
    const again = await gateway.callByName(maya, 'billing', 'refund_payment', {
      payment_id: 'pay_2',
      amount_cents: 9900,
    });
    expect(again).toMatchObject({ status: 'ok', replayed: true });
    expect(await refundCount('pay_2')).toBe(1);
  });

  it('holds a refund above the auto-refund limit for approval, and runs it once approved', async () => {
    const held = await gateway.callByName(maya, 'billing', 'refund_payment', {
      payment_id: 'pay_big',
      amount_cents: 45000,
    });
    expect(held).toMatchObject({
      status: 'approval_required',
      pendingAction: {
        connector: 'billing',
        operation: 'refund_payment',
        input: { payment_id: 'pay_big', amount_cents: 45000 },
      },
    });
    expect(await refundCount('pay_big')).toBe(0);
    const approved = await gateway.callByName(
      maya,
      'billing',
      'refund_payment',
      { payment_id: 'pay_big', amount_cents: 45000 },
      {
        approval: { approvedBy: 'ha_1' },
      },
    );
    expect(approved).toMatchObject({ status: 'ok', data: { payment_status: 'refunded' } });
    expect(await refundCount('pay_big')).toBe(1);
  });

  it("refuses another customer's payment and invoices", async () => {
    const payment = await gateway.callByName(maya, 'billing', 'get_payment', { payment_id: 'pay_n' });
    expect(payment).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    const refund = await gateway.callByName(maya, 'billing', 'refund_payment', {
      payment_id: 'pay_n',
      amount_cents: 9900,
    });
    expect(refund).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    const invoices = await gateway.callByName(maya, 'billing', 'list_invoices', { account_id: 'acc_2' });
    expect(invoices).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    expect(await refundCount('pay_n')).toBe(0);
  });

  it('binds the account from the session', async () => {
    const invoices = await gateway.callByName<{ invoices: Array<{ id: string }> }>(
      maya,
      'billing',
      'list_invoices',
      {},
    );
    expect(invoices.status === 'ok' && invoices.data.invoices.map((invoice) => invoice.id)).toEqual([
      'INV-1002',
      'INV-1001',
    ]);
  });

  it('hands enterprise plan changes to a person', async () => {
    const gus = customerSession('ct_ent', 'acc_ent', { tier: 'enterprise', conversationId: 'conv_2' });
    const result = await gateway.callByName(gus, 'billing', 'cancel_subscription', {
      subscription_id: 'sub_ent',
      at_period_end: true,
    });
    expect(result.status).toBe('human_required');
    const { rows } = await database.pool.query(
      `SELECT cancel_at_period_end FROM subscriptions WHERE id = 'sub_ent'`,
    );
    expect(rows).toEqual([{ cancel_at_period_end: false }]);
  });
});
