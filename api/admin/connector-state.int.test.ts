import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billing } from '../../connectors/contracts.ts';
import type { CallerSession } from '../../connectors/core/definition.ts';
import {
  createRedisCircuitStore,
  type RedisCircuitStore,
} from '../../connectors/core/redis-circuit-store.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';

// The admin's view and control of connector state every process shares: the policy override (reset
// to the configured default) and the circuit breaker (shared through Redis).
const redisUrl = 'redis://127.0.0.1:6379';
const prefix = `breaker-test:${randomUUID()}`;
const policyUrl = (id: string) => `/api/admin/connectors/${id}/policy`;

let api: TestApi;
let admin: Awaited<ReturnType<typeof loginAs>>;
let customer: CallerSession;
/** The API process's shared circuit store. */
let apiStore: RedisCircuitStore;
/** Another process (a worker) sharing the same Redis prefix. */
let workerStore: RedisCircuitStore;
let redis: Redis;

function asAdmin(options: InjectOptions) {
  return api.app.inject({
    ...options,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
  });
}

/** billing.get_subscription the way the agent calls it, for a verified demo customer. */
const billingCall = () => api.context.switchboard.gateway.call(customer, billing.getSubscription, {});

async function resetAudits(connectorId: string) {
  const { rows } = await api.database.pool.query<{ detail: { actor_id: string } }>(
    `SELECT detail FROM audit_log WHERE operation = 'admin.reset_policy' AND connector_id = $1 AND outcome = 'changed'`,
    [connectorId],
  );
  return rows;
}

async function billingHealth() {
  const response = await asAdmin({ method: 'GET', url: '/api/admin/connectors' });
  expect(response.statusCode).toBe(200);
  const connectors = response.json().connectors as Array<{ id: string; health: Record<string, unknown> }>;
  return connectors.find((connector) => connector.id === 'billing')!.health;
}

beforeAll(async () => {
  apiStore = createRedisCircuitStore({ url: redisUrl, prefix });
  workerStore = createRedisCircuitStore({ url: redisUrl, prefix });
  redis = new Redis(redisUrl);
  api = await createTestApi({ switchboard: { sharedCircuits: apiStore } });
  // The gateway subscribed on creation; one more subscription waits until the channel is in place.
  await apiStore.subscribe(() => {});
  admin = await loginAs(api.app, api.database.pool, 'admin');
  const { rows } = await api.database.pool.query<{ contact_id: string; account_id: string; tier: string }>(
    `SELECT c.id AS contact_id, a.id AS account_id, a.tier FROM subscriptions s
     JOIN accounts a ON a.id = s.account_id JOIN contacts c ON c.account_id = a.id
     WHERE s.status = 'active' ORDER BY a.id, c.id LIMIT 1`,
  );
  const row = rows[0]!;
  customer = {
    conversationId: null,
    actor: 'agent',
    customer: { contactId: row.contact_id, accountId: row.account_id, verified: true, tier: row.tier },
  };
}, 120_000);

afterAll(async () => {
  await api?.close();
  await Promise.all([apiStore?.dispose(), workerStore?.dispose()]);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis?.quit();
});

describe('DELETE /api/admin/connectors/:id/policy', () => {
  it('is for admins only, behind CSRF, and answers 404 for an unknown connector', async () => {
    expect((await api.app.inject({ method: 'DELETE', url: policyUrl('billing') })).statusCode).toBe(401);
    const agent = await loginAs(api.app, api.database.pool, 'agent');
    const asAgent = await api.app.inject({
      method: 'DELETE',
      url: policyUrl('billing'),
      headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrfToken },
    });
    expect(asAgent.statusCode).toBe(403);
    expect(asAgent.json().error.code).toBe('forbidden');
    const noCsrf = await api.app.inject({
      method: 'DELETE',
      url: policyUrl('billing'),
      headers: { cookie: admin.cookie },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('csrf_failed');
    const unknown = await asAdmin({ method: 'DELETE', url: policyUrl('nope') });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });

  it('puts the configured default back at once for the next call, audited; again is a no-op', async () => {
    const defaults = (await asAdmin({ method: 'GET', url: policyUrl('billing') })).json();
    expect(defaults).toMatchObject({ source: 'default', updatedBy: null });
    expect((await billingCall()).status).toBe('ok');

    // An override that takes get_subscription away: the next call is refused…
    const put = await asAdmin({
      method: 'PUT',
      url: policyUrl('billing'),
      payload: { allowedOperations: ['get_invoice'] },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ source: 'stored', updatedBy: admin.human.id });
    expect(await billingCall()).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });

    const reset = await asAdmin({ method: 'DELETE', url: policyUrl('billing') });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toEqual({ ...defaults, removed: true });
    // …and right after the reset (within the 5 s policy cache) the default applies again.
    expect((await billingCall()).status).toBe('ok');
    expect(await resetAudits('billing')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ actor_id: admin.human.id }) }),
    ]);
    const view = await asAdmin({ method: 'GET', url: policyUrl('billing') });
    expect(view.json()).toEqual(defaults);

    // Idempotent: nothing to remove, the same default view, and no audit row for a change not made.
    const again = await asAdmin({ method: 'DELETE', url: policyUrl('billing') });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ ...defaults, removed: false });
    expect(await resetAudits('billing')).toHaveLength(1);
  });

  it('resets an invalid stored override (which fails closed until then)', async () => {
    await api.database.pool.query(
      `INSERT INTO connector_policies (connector_id, policy, updated_by, updated_at)
       VALUES ('ticketing', $1, NULL, now())`,
      [JSON.stringify({ allowedOperations: 'every one' })],
    );
    const broken = await asAdmin({ method: 'GET', url: policyUrl('ticketing') });
    expect(broken.statusCode).toBe(409);
    const reset = await asAdmin({ method: 'DELETE', url: policyUrl('ticketing') });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ connectorId: 'ticketing', source: 'default', removed: true });
    expect((await asAdmin({ method: 'GET', url: policyUrl('ticketing') })).statusCode).toBe(200);
  });

  it('is in the OpenAPI document under the admin tag', async () => {
    const paths = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json().paths;
    expect(paths['/api/admin/connectors/{id}/policy'].delete).toMatchObject({ tags: ['admin'] });
  });
});

describe('connector health with the circuit shared through Redis', () => {
  it("reports a circuit another process opened, with its reason, and fails this process's calls fast", async () => {
    expect(await billingHealth()).toMatchObject({
      circuit: 'closed',
      circuitOpenUntil: null,
      circuitReason: null,
    });
    const openUntil = Date.now() + 60_000;
    await workerStore.open('billing', { openUntil, reason: 'transient: billing answered 503' }, 60_000);

    const health = await billingHealth();
    expect(health).toMatchObject({
      status: 'down',
      circuit: 'open',
      circuitOpenUntil: new Date(openUntil).toISOString(),
      circuitReason: 'transient: billing answered 503',
    });
    // The API process fails fast like its own open breaker would: the cached answer, marked stale.
    expect(await billingCall()).toMatchObject({ status: 'ok', stale: true });
    await api.context.switchboard.gateway.flush();
    const { rows } = await api.database.pool.query<{ outcome: string; detail: { error: string } }>(
      `SELECT outcome, detail FROM audit_log WHERE connector_id = 'billing' AND operation = 'get_subscription'
       ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]).toMatchObject({
      outcome: 'stale',
      detail: { error: 'circuit open for connector billing: failing fast without calling it' },
    });

    // The worker's trial call succeeded: closed for every process, the API's calls go through again.
    await workerStore.close('billing');
    const deadline = Date.now() + 3_000;
    while (api.context.switchboard.gateway.circuitState('billing') !== 'closed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await billingHealth()).toMatchObject({
      circuit: 'closed',
      circuitOpenUntil: null,
      circuitReason: null,
    });
    expect((await billingCall()).status).toBe('ok');
  });
});
