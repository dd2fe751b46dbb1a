import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billing } from '../../connectors/contracts.ts';
import type { CallerSession } from '../../connectors/core/definition.ts';
import { stripeSeeder } from '../../test/fakes/stripe/seed.ts';
import { type FakeStripe, startFakeStripe } from '../../test/fakes/stripe/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';

/*
 * Stripe webhooks through the real Fastify app: payloads signed as Stripe signs them (the SDK's
 * `generateTestHeaderString`), event objects rendered by the fake Stripe API (field names checked
 * against Stripe's fixtures, test/fakes/stripe/README.md), and the Stripe customer → account lookup
 * made against that fake.
 */

const endpointSecret = `whsec_${randomBytes(24).toString('base64url')}`;
// Two accounts of the demo world: one bound by the Stripe customer's metadata, one by its email.
const tagged = { account: 'acc_0001', contact: 'ct_0001', email: 'maya.chen@brightpath.io' };
const byEmail = { account: 'acc_0002', contact: 'ct_0003', email: 'omar.haddad@northwind-analytics.com' };

let api: TestApi;
let fake: FakeStripe;
const stripeIds = {} as {
  tagged: string;
  byEmail: string;
  subscription: string;
  charge: string;
  invoice: string;
};

/** A Stripe event envelope (field names of the SDK's `Stripe.Event`) around an object. */
type EventEnvelope = Pick<
  Stripe.Event,
  'id' | 'object' | 'api_version' | 'created' | 'livemode' | 'pending_webhooks' | 'request'
> & { type: Stripe.Event.Type; data: { object: Record<string, unknown>; previous_attributes?: object } };

let sequence = 0;
function stripeEvent(
  type: Stripe.Event.Type,
  object: Record<string, unknown>,
  created: number,
  previous?: object,
): EventEnvelope {
  sequence += 1;
  return {
    id: `evt_${sequence}_${randomBytes(8).toString('hex')}`,
    object: 'event',
    api_version: '2026-11-18.endive',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
  };
}

/** Posts a body with a Stripe-Signature made by the SDK (`secret` and `timestamp` overridable). */
function deliver(
  body: EventEnvelope | string,
  options: { secret?: string; timestamp?: number; header?: string | null; app?: TestApi['app'] } = {},
) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const header =
    options.header === undefined
      ? Stripe.webhooks.generateTestHeaderString({
          payload,
          secret: options.secret ?? endpointSecret,
          ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
        })
      : options.header;
  return (options.app ?? api.app).inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(header === null ? {} : { 'stripe-signature': header }),
    },
    payload,
  });
}

/** The fake's rendering of a Stripe object (GET /v1/{path}/{id}), exactly as Stripe's API answers it. */
async function stripeObject(path: string, id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${fake.url}/v1/${path}/${id}`, {
    headers: { authorization: `Bearer ${fake.secretKey}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function recorded(eventId: string) {
  const { pool } = api.database;
  const received = await pool.query('SELECT outcome FROM stripe_webhook_events WHERE event_id = $1', [
    eventId,
  ]);
  const events = await pool.query<{ account_id: string | null; status: string; amount_cents: string }>(
    'SELECT account_id, status, amount_cents::text, superseded FROM billing_events WHERE event_id = $1',
    [eventId],
  );
  return { received: received.rows, events: events.rows };
}

async function objectState(objectId: string) {
  const { rows } = await api.database.pool.query<{ status: string; event_id: string; account_id: string }>(
    'SELECT status, event_id, account_id FROM billing_object_states WHERE object_id = $1',
    [objectId],
  );
  return rows[0] ?? null;
}

beforeAll(async () => {
  fake = await startFakeStripe();
  const seed = stripeSeeder(fake);
  const pro = await seed.plan('pro', 9900, 'Pro');
  stripeIds.tagged = await seed.customer('billing@brightpath.io', { accountId: tagged.account });
  stripeIds.byEmail = await seed.customer(byEmail.email); // no metadata: bound through our contact's email
  stripeIds.subscription = await seed.subscription(stripeIds.tagged, pro, {
    start: '2026-11-01T00:00:00Z',
    end: '2026-12-01T00:00:00Z',
  });
  const paid = seed.invoice(stripeIds.tagged, {
    total: 9900,
    created: '2026-11-01T10:00:00Z',
    subscription: stripeIds.subscription,
    charges: [{ created: '2026-11-01T10:00:00Z' }],
  });
  stripeIds.charge = paid.charges[0]!.id;
  stripeIds.invoice = seed.invoice(stripeIds.byEmail, {
    total: 2900,
    created: '2026-11-15T10:00:00Z',
    status: 'open',
    charges: [{ created: '2026-11-15T10:00:00Z', status: 'failed', failure_code: 'card_declined' }],
  }).invoice.id;

  api = await createTestApi({
    settings: { stripeWebhooks: { endpointSecret, apiKey: fake.secretKey, apiBase: fake.url } },
  });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await fake?.close();
});

describe('POST /api/webhooks/stripe', () => {
  it('records a refund for the account named by the Stripe customer’s metadata', async () => {
    const charge = await stripeObject('charges', stripeIds.charge);
    const event = stripeEvent(
      'charge.refunded',
      { ...charge, amount_refunded: 9900, refunded: true },
      nowSeconds() - 30,
      { amount_refunded: 0, refunded: false },
    );
    const response = await deliver(event);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: true, event: event.id, outcome: 'applied' });
    const { received, events } = await recorded(event.id);
    expect(received).toEqual([{ outcome: 'applied' }]);
    expect(events).toEqual([
      { account_id: tagged.account, status: 'refunded', amount_cents: '9900', superseded: false },
    ]);
    expect(await objectState(stripeIds.charge)).toMatchObject({ status: 'refunded', event_id: event.id });
  });

  it('records a failed invoice payment for the account of our contact with the customer’s email', async () => {
    const invoice = await stripeObject('invoices', stripeIds.invoice);
    const event = stripeEvent('invoice.payment_failed', invoice, nowSeconds() - 20);
    const response = await deliver(event);
    expect(response.statusCode).toBe(200);
    const { events } = await recorded(event.id);
    expect(events).toEqual([
      { account_id: byEmail.account, status: 'payment_failed', amount_cents: '2900', superseded: false },
    ]);
  });

  it('refuses a delivery signed with another secret: 400, nothing stored', async () => {
    const event = stripeEvent(
      'charge.refunded',
      await stripeObject('charges', stripeIds.charge),
      nowSeconds(),
    );
    const response = await deliver(event, { secret: `whsec_${randomBytes(24).toString('base64url')}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: 'The Stripe-Signature header does not verify with the endpoint secret',
      },
    });
    expect(await recorded(event.id)).toEqual({ received: [], events: [] });
  });

  it('refuses a body changed after signing, and a delivery without a signature: 400, nothing stored', async () => {
    const event = stripeEvent(
      'charge.refunded',
      await stripeObject('charges', stripeIds.charge),
      nowSeconds(),
    );
    const header = Stripe.webhooks.generateTestHeaderString({
      payload: JSON.stringify(event),
      secret: endpointSecret,
    });
    const altered = JSON.stringify({
      ...event,
      data: { object: { ...event.data.object, amount_refunded: 1 } },
    });
    const tampered = await deliver(altered, { header });
    expect(tampered.statusCode).toBe(400);
    const unsigned = await deliver(event, { header: null });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.json().error.message).toBe('The Stripe-Signature header is missing');
    const garbage = await deliver(event, { header: 't=abc,v1=nothex' });
    expect(garbage.statusCode).toBe(400);
    expect(await recorded(event.id)).toEqual({ received: [], events: [] });
  });

  it('refuses a correctly signed delivery whose timestamp is outside the tolerance: 400, nothing stored', async () => {
    const event = stripeEvent(
      'charge.refunded',
      await stripeObject('charges', stripeIds.charge),
      nowSeconds(),
    );
    const response = await deliver(event, { timestamp: nowSeconds() - 301 });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/timestamp is outside the tolerance/);
    expect(await recorded(event.id)).toEqual({ received: [], events: [] });
  });

  it('processes a replayed event once (the second delivery is acknowledged as a duplicate)', async () => {
    const charge = await stripeObject('charges', stripeIds.charge);
    const event = stripeEvent(
      'charge.refunded',
      { ...charge, id: 'ch_replayed', amount_refunded: 1000, refunded: false },
      nowSeconds() - 10,
    );
    const first = await deliver(event);
    const second = await deliver(event); // Stripe re-sends with a fresh signature
    const third = await deliver(event);
    expect([first.json().outcome, second.json().outcome, third.json().outcome]).toEqual([
      'applied',
      'duplicate',
      'duplicate',
    ]);
    expect([second.statusCode, third.statusCode]).toEqual([200, 200]);
    const { received, events } = await recorded(event.id);
    expect(received).toHaveLength(1);
    expect(events).toEqual([
      { account_id: tagged.account, status: 'partially_refunded', amount_cents: '1000', superseded: false },
    ]);
  });

  it('processes concurrent deliveries of one event once', async () => {
    const charge = await stripeObject('charges', stripeIds.charge);
    const event = stripeEvent(
      'charge.refunded',
      { ...charge, id: 'ch_concurrent', amount_refunded: 500, refunded: false },
      nowSeconds() - 5,
    );
    const outcomes = await Promise.all([deliver(event), deliver(event), deliver(event)]);
    expect(outcomes.map((response) => response.statusCode)).toEqual([200, 200, 200]);
    expect(outcomes.map((response) => response.json().outcome).sort()).toEqual([
      'applied',
      'duplicate',
      'duplicate',
    ]);
    expect((await recorded(event.id)).events).toHaveLength(1);
  });

  it('does not let an older customer.subscription.updated arriving late regress the subscription', async () => {
    const subscription = await stripeObject('subscriptions', stripeIds.subscription);
    const created = nowSeconds() - 60;
    // Stripe created "trialing → active" first and "active → past_due" 10 s later; the older arrives last.
    const older = stripeEvent(
      'customer.subscription.updated',
      { ...subscription, status: 'active' },
      created,
      {
        status: 'trialing',
      },
    );
    const newer = stripeEvent(
      'customer.subscription.updated',
      { ...subscription, status: 'past_due' },
      created + 10,
      { status: 'active' },
    );
    expect((await deliver(newer)).json().outcome).toBe('applied');
    expect((await deliver(older)).json().outcome).toBe('superseded');
    expect(await objectState(stripeIds.subscription)).toMatchObject({
      status: 'past_due',
      event_id: newer.id,
      account_id: tagged.account,
    });
    // The late event is in the history, marked as changing nothing.
    expect((await recorded(older.id)).events).toEqual([
      { account_id: tagged.account, status: 'active', amount_cents: '9900', superseded: true },
    ]);
    // A genuinely newer event still moves it on.
    const later = stripeEvent(
      'customer.subscription.updated',
      { ...subscription, status: 'active', cancel_at_period_end: true },
      created + 20,
    );
    expect((await deliver(later)).json().outcome).toBe('applied');
    expect((await objectState(stripeIds.subscription))?.status).toBe('active_until_period_end');
  });

  it('orders two refunds of one second by the charge’s own amount_refunded', async () => {
    const charge = await stripeObject('charges', stripeIds.charge);
    const second = nowSeconds() - 3;
    const full = stripeEvent(
      'charge.refunded',
      { ...charge, id: 'ch_same_second', amount_refunded: 9900, refunded: true },
      second,
    );
    const partial = stripeEvent(
      'charge.refunded',
      { ...charge, id: 'ch_same_second', amount_refunded: 4000, refunded: false },
      second,
    );
    expect((await deliver(full)).json().outcome).toBe('applied');
    expect((await deliver(partial)).json().outcome).toBe('superseded');
    expect((await objectState('ch_same_second'))?.status).toBe('refunded');
  });

  it('acknowledges an event type it does not handle and records it as ignored', async () => {
    const customer = await stripeObject('customers', stripeIds.tagged);
    const event = stripeEvent('customer.updated', customer, nowSeconds());
    const response = await deliver(event);
    expect(response.statusCode).toBe(200);
    expect(response.json().outcome).toBe('ignored');
    expect(await recorded(event.id)).toEqual({ received: [{ outcome: 'ignored' }], events: [] });
  });

  it('answers 503 and stores nothing when Stripe cannot say who the customer is; the retry is applied', async () => {
    // A customer not looked up yet (the lookup of a known one is cached for 60 s).
    const stranger = await stripeSeeder(fake).customer('jill.park@northwind-analytics.com');
    const subscription = await stripeObject('subscriptions', stripeIds.subscription);
    const event = stripeEvent(
      'customer.subscription.updated',
      { ...subscription, id: 'sub_lookup_fails', customer: stranger },
      nowSeconds(),
    );
    fake.failNext(503, { operation: 'customers.retrieve' });
    const failed = await deliver(event);
    expect(failed.statusCode).toBe(503);
    expect(failed.json().error.code).toBe('unavailable');
    expect(await recorded(event.id)).toEqual({ received: [], events: [] });
    const retried = await deliver(event);
    expect(retried.json().outcome).toBe('applied');
    expect((await recorded(event.id)).events[0]?.account_id).toBe(byEmail.account);
  });

  it("drops the account's cached billing reads, so a later outage answers with no pre-event data", async () => {
    const { pool } = api.database;
    const { gateway } = api.context.switchboard;
    const session = (account: string, contact: string): CallerSession => ({
      conversationId: null,
      actor: 'agent',
      customer: { contactId: contact, accountId: account, verified: true },
    });
    // Real reads through the pipeline store the stale-read entries, tagged with their account.
    await gateway.call(session(tagged.account, tagged.contact), billing.getSubscription, {});
    await gateway.call(session(byEmail.account, byEmail.contact), billing.getSubscription, {});
    await gateway.flush();
    const entries = async (account: string) =>
      (
        await pool.query(
          `SELECT operation FROM connector_cache WHERE connector_id = 'billing' AND account_id = $1`,
          [account],
        )
      ).rows.length;
    expect(await entries(tagged.account)).toBeGreaterThan(0);
    expect(await entries(byEmail.account)).toBeGreaterThan(0);

    const subscription = await stripeObject('subscriptions', stripeIds.subscription);
    const event = stripeEvent(
      'customer.subscription.updated',
      { ...subscription, status: 'canceled' },
      nowSeconds(),
    );
    expect((await deliver(event)).json().outcome).toBe('applied');
    expect(await entries(tagged.account)).toBe(0);
    expect(await entries(byEmail.account)).toBeGreaterThan(0);

    // With billing down, that account's read has no stale copy to fall back on: an error, not the old
    // subscription; the other account still gets its (untouched) stale copy.
    api.context.switchboard.faults.arm({
      connector: 'billing',
      operation: 'get_subscription',
      mode: 'error',
      times: 20,
    });
    try {
      const after = await gateway.call(session(tagged.account, tagged.contact), billing.getSubscription, {});
      expect(after.status).toBe('error');
      const other = await gateway.call(
        session(byEmail.account, byEmail.contact),
        billing.getSubscription,
        {},
      );
      expect(other).toMatchObject({ status: 'ok', stale: true });
    } finally {
      api.context.switchboard.faults.clear();
    }
  });

  it('records an event whose customer maps to no account without one, and drops every cached billing read', async () => {
    const { pool } = api.database;
    const { gateway } = api.context.switchboard;
    await gateway.call(
      {
        conversationId: null,
        actor: 'agent',
        customer: { contactId: byEmail.contact, accountId: byEmail.account, verified: true },
      },
      billing.getSubscription,
      {},
    );
    await gateway.flush();
    const billingEntries = async () =>
      (await pool.query(`SELECT 1 FROM connector_cache WHERE connector_id = 'billing'`)).rows.length;
    expect(await billingEntries()).toBeGreaterThan(0);
    const nobody = await stripeSeeder(fake).customer('nobody@unknown.example');
    const subscription = await stripeObject('subscriptions', stripeIds.subscription);
    const event = stripeEvent(
      'customer.subscription.updated',
      { ...subscription, id: 'sub_of_nobody', customer: nobody },
      nowSeconds(),
    );
    expect((await deliver(event)).json().outcome).toBe('applied');
    expect((await recorded(event.id)).events).toEqual([
      { account_id: null, status: 'active', amount_cents: '9900', superseded: false },
    ]);
    expect(await billingEntries()).toBe(0);
  });

  it("shows the account's billing events in the console's customer panel", async () => {
    const { pool } = api.database;
    await pool.query(
      `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by, status, outcome)
       VALUES ('conv_webhook_panel', 'chat', $1, $2, true, 'token', 'escalated', 'escalated')`,
      [tagged.contact, tagged.account],
    );
    const at = new Date().toISOString();
    const packet = {
      reason: 'customer_requested',
      identity: {
        contactId: tagged.contact,
        accountId: tagged.account,
        name: 'Maya Chen',
        email: tagged.email,
        verified: true,
        tier: 'pro',
      },
      intent: 'human_handoff',
      confidence: 0.9,
      slots: {},
      calls: [],
      pendingAction: null,
      summary: 'Asked about a refund',
      suggestedReply: 'Hi!',
      transcript: [{ role: 'customer', text: 'Where is my refund?', at }],
    };
    await pool.query(
      `INSERT INTO escalations (id, conversation_id, reason, priority, packet) VALUES ('esc_webhook_panel', 'conv_webhook_panel', 'customer_requested', 'normal', $1)`,
      [JSON.stringify(packet)],
    );
    const agent = await loginAs(api.app, pool, 'agent');
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/console/escalations/esc_webhook_panel',
      headers: { cookie: agent.cookie },
    });
    expect(response.statusCode).toBe(200);
    const events = response.json().customer.billingEvents as Array<Record<string, unknown>>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(8);
    // Only this account's events, newest first.
    expect(events.some((event) => event.type === 'invoice.payment_failed')).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'charge.refunded',
        objectId: stripeIds.charge,
        status: 'refunded',
        amountCents: 9900,
        currency: 'usd',
      }),
    );
    const times = events.map((event) => Date.parse(event.occurredAt as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });
});

describe('POST /api/webhooks/stripe without a configured secret', () => {
  let bare: TestApi;
  beforeAll(async () => {
    // A second server on the same database, with no STRIPE_WEBHOOK_SECRET setting.
    bare = await createTestApi({ database: api.database });
  });
  afterAll(async () => bare?.close());

  it('answers 503 and never accepts the event unsigned; the vault’s secret then verifies it', async () => {
    const customer = await stripeObject('customers', stripeIds.tagged);
    const event = stripeEvent('customer.updated', customer, nowSeconds());
    const refused = await deliver(event, { app: bare.app });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({ code: 'unavailable' });
    expect(refused.json().error.message).toMatch(/STRIPE_WEBHOOK_SECRET/);
    expect(await recorded(event.id)).toEqual({ received: [], events: [] });

    const vaultSecret = `whsec_${randomBytes(24).toString('base64url')}`;
    await bare.context.vault.put('billing', 'stripe_webhook_secret', vaultSecret);
    try {
      expect((await deliver(event, { app: bare.app })).statusCode).toBe(400); // signed with the other secret
      const accepted = await deliver(event, { app: bare.app, secret: vaultSecret });
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json().outcome).toBe('ignored');
    } finally {
      await bare.context.vault.delete('billing', 'stripe_webhook_secret');
    }
  });
});
