import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { stripeSeeder } from '../../test/fakes/stripe/seed.ts';
import { type FakeStripe, startFakeStripe } from '../../test/fakes/stripe/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import type { CustomerPanel, EscalationDetail } from '../contract/console.ts';

/*
 * The console's customer panel reads through the connectors of the selected backends: with billing
 * on Stripe, the subscription and invoices are Stripe's (our tables' rows are stale there), a Stripe
 * outage leaves the billing sections "unavailable" (or the last good answer, marked stale) while the
 * rest of the escalation renders, and every read is for the conversation's own customer, audited
 * under the human who opened it.
 */

// Our tables: what the built-in backends show. Stripe (below) disagrees, as it does once billing moved.
const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_3', name: 'QuantaLeap', tier: 'business', region: 'APAC' },
    { id: 'acc_4', name: 'Northwind', tier: 'starter', region: 'NA' },
  ],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/Berlin',
    },
    {
      id: 'ct_3',
      account: 'acc_3',
      name: 'Priya Nair',
      email: 'priya@quantaleap.io',
      timezone: 'Asia/Kolkata',
    },
    { id: 'ct_4', account: 'acc_4', name: 'Nils Berg', email: 'nils@northwind.test', timezone: 'UTC' },
  ],
  subscriptions: [
    { id: 'sub_1', account: 'acc_1', plan: 'pro', status: 'active', period_end: '2026-11-30' },
    { id: 'sub_3', account: 'acc_3', plan: 'business', status: 'active', period_end: '2026-11-30' },
    { id: 'sub_4', account: 'acc_4', plan: 'starter', status: 'active', period_end: '2026-11-30' },
  ],
  invoices: [
    { id: 'INV-1001', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
    { id: 'INV-3001', account: 'acc_3', amount_cents: 49900, status: 'paid', issued_at: '2026-11-01' },
    { id: 'INV-4001', account: 'acc_4', amount_cents: 2900, status: 'paid', issued_at: '2026-11-01' },
  ],
  tickets: [
    {
      id: 'T-1',
      account: 'acc_1',
      contact: 'ct_1',
      subject: 'SSO setup',
      status: 'open',
      priority: 'normal',
      category: 'sso',
      created_at: '2026-11-10T10:00:00Z',
    },
    {
      id: 'T-4',
      account: 'acc_4',
      contact: 'ct_4',
      subject: 'Export to CSV',
      status: 'open',
      priority: 'low',
      category: 'general',
      created_at: '2026-11-12T10:00:00Z',
    },
  ],
};

type Contact = { id: string; account: string };
const maya: Contact = { id: 'ct_1', account: 'acc_1' };
const priya: Contact = { id: 'ct_3', account: 'acc_3' };
const nils: Contact = { id: 'ct_4', account: 'acc_4' };

let api: TestApi;
let fake: FakeStripe;
let agent: Awaited<ReturnType<typeof loginAs>>;
let admin: Awaited<ReturnType<typeof loginAs>>;
let sequence = 0;
/** The fake's requests made by the seeding: everything after them is Switchboard's. */
let seeded = 0;
/** Stripe's invoice numbers per account, as the seed made them. */
const stripeInvoices: Record<string, string[]> = {};

const inject = (who: { cookie: string; csrfToken: string }, options: InjectOptions) =>
  api.app.inject({
    ...options,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, ...options.headers },
  });

/** A conversation of `contact` escalated to a person, as the agent leaves it. */
async function escalate(contact: Contact): Promise<{ conversationId: string; escalationId: string }> {
  sequence += 1;
  const conversationId = `conv_panel_${sequence}`;
  const escalationId = `esc_panel_${sequence}`;
  const pool = api.database.pool;
  await pool.query(
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by, status, outcome)
     VALUES ($1, 'chat', $2, $3, true, 'token', 'escalated', 'escalated')`,
    [conversationId, contact.id, contact.account],
  );
  await pool.query(
    `INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'customer', 'I need a person please')`,
    [conversationId],
  );
  const packet = {
    reason: 'customer_requested',
    // The packet's copy of the identity names someone else: the panel must follow the conversation row.
    identity: {
      contactId: 'ct_3',
      accountId: 'acc_3',
      name: 'Priya Nair',
      email: 'priya@quantaleap.io',
      verified: true,
      tier: 'business',
    },
    intent: 'human_handoff',
    confidence: 0.9,
    slots: {},
    calls: [],
    pendingAction: null,
    summary: 'asked for a person',
    suggestedReply: 'Hi, how can I help?',
    transcript: [],
  };
  await pool.query(
    `INSERT INTO escalations (id, conversation_id, reason, priority, packet) VALUES ($1, $2, 'customer_requested', 'normal', $3)`,
    [escalationId, conversationId, JSON.stringify(packet)],
  );
  return { conversationId, escalationId };
}

async function panelOf(escalationId: string): Promise<CustomerPanel> {
  const response = await inject(agent, { method: 'GET', url: `/api/console/escalations/${escalationId}` });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as EscalationDetail).customer;
}

async function switchBilling(backend: 'stripe' | 'builtin'): Promise<void> {
  const payload =
    backend === 'stripe'
      ? { backend, settings: { api_base: fake.url }, secrets: { secret_key: fake.secretKey } }
      : { backend };
  const response = await inject(admin, { method: 'PUT', url: '/api/admin/backends/billing', payload });
  expect(response.statusCode, response.body).toBe(200);
}

beforeAll(async () => {
  api = await createTestApi({
    seed: false,
    // No retries to wait for and a breaker that stays closed: each panel read reaches the fake.
    switchboard: {
      resilience: {
        retry: { retries: 1, initialDelayMs: 1, maxDelayMs: 5 },
        breaker: { kind: 'consecutive', failures: 1_000 },
      },
    },
  });
  await loadWorld(api.database.pool, world);
  agent = await loginAs(api.app, api.database.pool, 'agent');
  admin = await loginAs(api.app, api.database.pool, 'admin');

  fake = await startFakeStripe();
  const seed = stripeSeeder(fake);
  const business = await seed.plan('business', 49900, 'Business');
  const starter = await seed.plan('starter', 2900, 'Starter');
  const period = { start: '2026-11-15T00:00:00Z', end: '2026-12-15T00:00:00Z' };
  // Maya moved to Business in Stripe (our tables still say Pro); Priya is on Starter there.
  const customers = [
    { contact: maya, email: 'maya@brightpath.io', price: business, amount: 49900, prefix: 'BP' },
    { contact: priya, email: 'priya@quantaleap.io', price: starter, amount: 2900, prefix: 'QL' },
    { contact: nils, email: 'nils@northwind.test', price: starter, amount: 2900, prefix: 'NW' },
  ];
  for (const { contact, email, price, amount, prefix } of customers) {
    const customer = await seed.customer(email, { accountId: contact.account });
    const subscription = await seed.subscription(customer, price, period);
    stripeInvoices[contact.account] = [];
    for (const [index, created] of ['2026-10-15T00:00:00Z', '2026-11-15T00:00:00Z'].entries()) {
      const number = `${prefix}-000${index + 1}`;
      seed.invoice(customer, {
        total: amount,
        created,
        subscription,
        number,
        charges: [{ created }],
      });
      stripeInvoices[contact.account]!.unshift(number);
    }
  }
  seeded = fake.requests.length;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await fake?.close();
});

describe(`the console's customer panel on the selected backends (${testDatabaseKind()})`, () => {
  it('shows our tables while billing runs on the built-in backend, every section read', async () => {
    const { escalationId } = await escalate(maya);
    const panel = await panelOf(escalationId);
    expect(panel.contact).toMatchObject({ id: 'ct_1', email: 'maya@brightpath.io' });
    expect(panel.account).toMatchObject({ id: 'acc_1', name: 'Brightpath', tier: 'pro' });
    expect(panel.subscription).toMatchObject({ id: 'sub_1', planId: 'pro', planName: 'Pro' });
    expect(panel.invoices.map((invoice) => invoice.id)).toEqual(['INV-1001']);
    expect(panel.tickets.map((ticket) => ticket.id)).toEqual(['T-1']);
    for (const section of ['contact', 'account', 'subscription', 'invoices', 'tickets'] as const)
      expect(panel.sections?.[section]?.state, section).toBe('ok');
    expect(fake.requests.length).toBe(seeded);
  });

  it("shows Stripe's subscription and invoices once billing is on Stripe, audited as the human who looked", async () => {
    await switchBilling('stripe');
    const { escalationId, conversationId } = await escalate(maya);
    const panel = await panelOf(escalationId);

    expect(panel.subscription).toMatchObject({
      id: expect.stringMatching(/^sub_/),
      planId: 'business',
      planName: 'Business',
      status: 'active',
      periodEnd: '2026-12-15',
    });
    expect(panel.invoices.map((invoice) => invoice.id)).toEqual(stripeInvoices.acc_1);
    expect(panel.invoices[0]).toMatchObject({ amountCents: 49900, status: 'paid' });
    expect(JSON.stringify(panel)).not.toContain('INV-1001');
    expect(JSON.stringify(panel)).not.toContain('sub_1"');
    expect(panel.sections).toMatchObject({
      subscription: { state: 'ok', connector: 'billing' },
      invoices: { state: 'ok', connector: 'billing' },
    });
    // CRM and ticketing stay on their built-in backends.
    expect(panel.contact).toMatchObject({ id: 'ct_1' });
    expect(panel.tickets.map((ticket) => ticket.id)).toEqual(['T-1']);
    // Stripe was asked for the conversation's own customer (its contact's email), not the packet's.
    // (The admin's connection check lists customers without an email.)
    const lookups = fake.requests
      .slice(seeded)
      .filter((request) => request.operation === 'customers.list' && request.params.email !== undefined);
    expect(lookups.length).toBeGreaterThan(0);
    for (const lookup of lookups) expect(lookup.params.email).toBe('maya@brightpath.io');

    await api.context.switchboard.gateway.flush();
    const { rows } = await api.database.pool.query<{
      operation: string;
      actor: string;
      account_id: string;
      outcome: string;
      detail: Record<string, unknown>;
    }>(
      `SELECT operation, actor, account_id, outcome, detail FROM audit_log
        WHERE conversation_id = $1 ORDER BY operation`,
      [conversationId],
    );
    expect(rows.map((row) => row.operation)).toEqual([
      'get_account',
      'get_contact',
      'get_subscription',
      'list_invoices',
      'list_tickets',
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ actor: 'human', account_id: 'acc_1', outcome: 'ok' });
      expect(row.detail).toMatchObject({ actor_id: agent.human.id });
    }
  });

  it("never shows another customer's Stripe records", async () => {
    const { escalationId } = await escalate(priya);
    const panel = await panelOf(escalationId);
    expect(panel.contact).toMatchObject({ id: 'ct_3' });
    expect(panel.subscription).toMatchObject({ planId: 'starter' });
    expect(panel.invoices.map((invoice) => invoice.id)).toEqual(stripeInvoices.acc_3);
    const shown = JSON.stringify(panel);
    for (const number of [...stripeInvoices.acc_1!, ...stripeInvoices.acc_4!])
      expect(shown).not.toContain(number);
    expect(shown).not.toContain('maya@brightpath.io');
    expect(shown).not.toContain('INV-3001');
  });

  it('says "unavailable" for the billing sections when Stripe fails, and still shows the rest', async () => {
    await api.database.pool.query(
      `INSERT INTO stripe_webhook_events (event_id, type, livemode, created_at, outcome)
       VALUES ('evt_panel_1', 'charge.refunded', false, '2026-11-16T10:00:00Z', 'applied')`,
    );
    await api.database.pool.query(
      `INSERT INTO billing_events (event_id, account_id, type, object_type, object_id, status, amount_cents, currency, occurred_at)
       VALUES ('evt_panel_1', 'acc_4', 'charge.refunded', 'charge', 'ch_panel_1', 'refunded', 2900, 'usd', '2026-11-16T10:00:00Z')`,
    );
    // Every Stripe request answers 500 from now on (the file's last Stripe test).
    fake.failNext(500, { times: 10_000 });

    const { escalationId } = await escalate(nils);
    const response = await inject(agent, { method: 'GET', url: `/api/console/escalations/${escalationId}` });
    expect(response.statusCode).toBe(200);
    const detail = response.json() as EscalationDetail;
    expect(detail.transcript.map((message) => message.text)).toEqual(['I need a person please']);
    const panel = detail.customer;
    expect(panel.subscription).toBeNull();
    expect(panel.invoices).toEqual([]);
    expect(panel.sections?.subscription).toMatchObject({
      state: 'unavailable',
      connector: 'billing',
      message: expect.stringMatching(/^transient/),
    });
    expect(panel.sections?.invoices).toMatchObject({ state: 'unavailable', connector: 'billing' });
    // Never our tables in Stripe's place.
    expect(JSON.stringify(panel)).not.toContain('INV-4001');
    expect(JSON.stringify(panel)).not.toContain('sub_4');
    // The rest renders: CRM and ticketing (built-in) and the billing events (our webhook table).
    expect(panel.contact).toMatchObject({ id: 'ct_4', name: 'Nils Berg' });
    expect(panel.account).toMatchObject({ id: 'acc_4', name: 'Northwind' });
    expect(panel.tickets.map((ticket) => ticket.id)).toEqual(['T-4']);
    expect(panel.billingEvents.map((event) => event.objectId)).toEqual(['ch_panel_1']);
    expect(panel.sections).toMatchObject({
      contact: { state: 'ok' },
      account: { state: 'ok' },
      tickets: { state: 'ok' },
    });
  });

  it("serves Maya's last good Stripe answer, marked stale, while Stripe is down — still not our tables", async () => {
    await api.context.switchboard.gateway.flush();
    const { escalationId } = await escalate(maya);
    const panel = await panelOf(escalationId);
    expect(panel.subscription).toMatchObject({ planId: 'business' });
    expect(panel.invoices.map((invoice) => invoice.id)).toEqual(stripeInvoices.acc_1);
    expect(panel.sections?.subscription).toMatchObject({ state: 'stale', connector: 'billing' });
    expect(panel.sections?.invoices).toMatchObject({ state: 'stale', connector: 'billing' });
    expect(panel.sections?.subscription?.ageSeconds).toBeGreaterThanOrEqual(0);
  });

  it('is back on our tables when billing is switched back to the built-in backend', async () => {
    await switchBilling('builtin');
    const { escalationId } = await escalate(nils);
    const panel = await panelOf(escalationId);
    expect(panel.subscription).toMatchObject({ id: 'sub_4', planId: 'starter' });
    expect(panel.invoices.map((invoice) => invoice.id)).toEqual(['INV-4001']);
    expect(panel.sections?.subscription?.state).toBe('ok');
  });
});
