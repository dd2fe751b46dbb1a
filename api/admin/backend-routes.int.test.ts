import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billing } from '../../connectors/contracts.ts';
import type { CallerSession } from '../../connectors/core/definition.ts';
import { stripeSeeder } from '../../test/fakes/stripe/seed.ts';
import { type FakeStripe, startFakeStripe } from '../../test/fakes/stripe/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';

let api: TestApi;
let fake: FakeStripe;
let admin: Awaited<ReturnType<typeof loginAs>>;
let customer: CallerSession;
let customerEmail: string;

function asAdmin(options: InjectOptions) {
  return api.app.inject({
    ...options,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
  });
}

const billingView = async () => {
  const response = await asAdmin({ method: 'GET', url: '/api/admin/backends' });
  expect(response.statusCode).toBe(200);
  return (response.json().backends as Array<Record<string, unknown>>).find(
    (view) => view.kind === 'billing',
  )!;
};

beforeAll(async () => {
  api = await createTestApi({
    switchboard: { resilience: { retry: { retries: 1, initialDelayMs: 1, maxDelayMs: 5 } } },
  });
  admin = await loginAs(api.app, api.database.pool, 'admin');
  const { rows } = await api.database.pool.query<{ contact_id: string; account_id: string; email: string }>(
    `SELECT c.id AS contact_id, a.id AS account_id, c.email FROM subscriptions s
     JOIN accounts a ON a.id = s.account_id JOIN contacts c ON c.account_id = a.id
     WHERE s.status = 'active' ORDER BY a.id, c.id LIMIT 1`,
  );
  const row = rows[0]!;
  customerEmail = row.email;
  customer = {
    conversationId: null,
    actor: 'agent',
    customer: { contactId: row.contact_id, accountId: row.account_id, verified: true },
  };
  fake = await startFakeStripe();
  const seed = stripeSeeder(fake);
  const price = await seed.plan('business', 49900, 'Business');
  const stripeCustomer = await seed.customer(customerEmail, { accountId: row.account_id });
  await seed.subscription(stripeCustomer, price, {
    start: '2026-11-01T00:00:00Z',
    end: '2026-12-01T00:00:00Z',
  });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await fake?.close();
});

describe('choosing the backend of a connector kind', () => {
  it('starts on the built-in backends, and lists each vendor backend with its settings', async () => {
    const view = await billingView();
    expect(view.backend).toBe('builtin');
    expect(view.pinnedBy).toBeNull();
    const stripe = (
      view.options as Array<{ id: string; fields: Array<{ name: string; secret: boolean }> }>
    )[0]!;
    expect(stripe.id).toBe('stripe');
    expect(stripe.fields.find((field) => field.name === 'secret_key')?.secret).toBe(true);
  });

  it('refuses an incomplete or malformed choice, and stores nothing', async () => {
    const malformed = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: { backend: 'stripe', secrets: { secret_key: 'pk_test_not-a-secret-key' } },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.message).toMatch(/secret \(sk_…\) or restricted/);
    const unknown = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: { backend: 'chargebee' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/no backend "chargebee"/);
    expect((await billingView()).backend).toBe('builtin');
    const { rows } = await api.database.pool.query('SELECT * FROM connector_backends');
    expect(rows).toEqual([]);
  });

  it('tests a connection without storing it: a wrong key fails the check, the right one passes', async () => {
    const wrong = await asAdmin({
      method: 'POST',
      url: '/api/admin/backends/billing/test',
      payload: {
        backend: 'stripe',
        settings: { api_base: fake.url },
        secrets: { secret_key: 'sk_test_wrong' },
      },
    });
    expect(wrong.statusCode).toBe(200);
    expect(wrong.json().ok).toBe(false);
    const right = await asAdmin({
      method: 'POST',
      url: '/api/admin/backends/billing/test',
      payload: {
        backend: 'stripe',
        settings: { api_base: fake.url },
        secrets: { secret_key: fake.secretKey },
      },
    });
    expect(right.json()).toMatchObject({ ok: true });
    expect((await billingView()).backend).toBe('builtin');
  });

  it('switches billing to Stripe at once, keeps the key only encrypted, and never echoes it', async () => {
    const before = await api.context.switchboard.gateway.call(customer, billing.getSubscription, {});
    expect(before.status).toBe('ok');
    const requestsBefore = fake.requests.length;

    const response = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: {
        backend: 'stripe',
        settings: { api_base: fake.url },
        secrets: { secret_key: fake.secretKey },
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(fake.secretKey);
    expect(response.json().check.ok).toBe(true);
    const view = response.json().view;
    expect(view.backend).toBe('stripe');
    const secretField = view.options[0].fields.find((field: { name: string }) => field.name === 'secret_key');
    expect(secretField).toMatchObject({ source: 'stored', value: null });

    const stored = await api.database.pool.query<{ ciphertext: Buffer; field: string }>(
      `SELECT field, ciphertext FROM connector_credentials WHERE connector_id = 'billing'`,
    );
    expect(stored.rows.map((row) => row.field)).toContain('stripe_secret_key');
    for (const row of stored.rows) expect(row.ciphertext.toString('utf8')).not.toContain(fake.secretKey);
    const settingsRow = await api.database.pool.query<{ settings: unknown }>(
      `SELECT settings FROM connector_backends WHERE kind = 'billing'`,
    );
    expect(JSON.stringify(settingsRow.rows[0]!.settings)).not.toContain(fake.secretKey);

    // The agent's next billing call reaches Stripe, for the customer of the verified session.
    const after = await api.context.switchboard.gateway.call(customer, billing.getSubscription, {});
    expect(after).toMatchObject({ status: 'ok', data: { plan: { id: 'business' }, status: 'active' } });
    const customerLookups = fake.requests
      .slice(requestsBefore)
      .filter((request) => request.operation === 'customers.list');
    expect(customerLookups.length).toBeGreaterThan(0);

    const audit = await api.database.pool.query<{ detail: Record<string, unknown> }>(
      `SELECT detail FROM audit_log WHERE operation = 'admin.choose_backend' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0]!.detail).toMatchObject({ backend: 'stripe', secrets_set: ['secret_key'] });
    expect(JSON.stringify(audit.rows[0]!.detail)).not.toContain(fake.secretKey);
  });

  it('switches back to the built-in backend without losing the Stripe settings', async () => {
    const requestsBefore = fake.requests.length;
    const response = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: { backend: 'builtin' },
    });
    expect(response.statusCode).toBe(200);
    const result = await api.context.switchboard.gateway.call(customer, billing.getSubscription, {});
    expect(result.status).toBe('ok');
    expect(fake.requests.length).toBe(requestsBefore);
    const view = await billingView();
    const fields = (view.options as Array<{ fields: Array<{ name: string; source: string | null }> }>)[0]!
      .fields;
    expect(fields.find((field) => field.name === 'secret_key')?.source).toBe('stored');

    // Choosing Stripe again needs no key: the stored one is used.
    const again = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: { backend: 'stripe', settings: { api_base: fake.url } },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json().check.ok).toBe(true);
    // What the Stripe webhooks look customers up with: the backend's own key and API base.
    await expect(api.context.backends.settingsOf('billing', 'stripe')).resolves.toEqual({
      secret_key: fake.secretKey,
      api_base: fake.url,
    });
  });

  it('takes the Stripe webhook signing secret from the form, and the webhook endpoint verifies with it', async () => {
    const malformed = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: {
        backend: 'stripe',
        settings: { api_base: fake.url },
        secrets: { webhook_secret: 'sk_not_whsec' },
      },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.message).toMatch(/whsec_/);

    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const saved = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: { backend: 'stripe', settings: { api_base: fake.url }, secrets: { webhook_secret: secret } },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).not.toContain(secret);
    const field = (saved.json().view.options[0].fields as Array<{ name: string }>).find(
      (candidate) => candidate.name === 'webhook_secret',
    );
    expect(field).toMatchObject({ source: 'stored', value: null });

    const payload = JSON.stringify({
      id: 'evt_admin_form_secret',
      object: 'event',
      type: 'product.created',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      api_version: '2025-09-30.clover',
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: { id: 'prod_1', object: 'product' } },
    });
    const deliver = (signWith: string) =>
      api.app.inject({
        method: 'POST',
        url: '/api/webhooks/stripe',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: signWith }),
        },
        payload,
      });
    expect((await deliver(`whsec_${randomBytes(24).toString('base64url')}`)).statusCode).toBe(400);
    const accepted = await deliver(secret);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().outcome).toBe('ignored');
  });

  it('is refused to anyone but an admin', async () => {
    const anonymous = await api.app.inject({ method: 'GET', url: '/api/admin/backends' });
    expect(anonymous.statusCode).toBe(401);
    const agent = await loginAs(api.app, api.database.pool, 'agent');
    const asAgent = await api.app.inject({
      method: 'PUT',
      url: '/api/admin/backends/billing',
      payload: { backend: 'builtin' },
      headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrfToken },
    });
    expect(asAgent.statusCode).toBe(403);
  });
});
