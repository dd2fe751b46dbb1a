import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import type { ManagedConnectorGateway } from './connector-gateway.ts';
import { ConnectorError } from './errors.ts';
import type { Logger } from './logger.ts';
import { createRedisCircuitStore, type RedisCircuitStore } from './redis-circuit-store.ts';
import {
  billingTestGateway,
  createVendorScript,
  fastResilience,
  seedBilling,
  sessions,
} from './testing/fixtures.ts';

// Two gateways sharing one Redis are two processes (an API and a worker, two workers) calling the same
// system: one vendor script stands for that system and counts every call that reaches it.
const redisUrl = 'redis://127.0.0.1:6379';
const halfOpenAfterMs = 400;
const resilience = { ...fastResilience, retry: { retries: 0 }, halfOpenAfterMs };
const circuitOpen = {
  status: 'error',
  error: {
    kind: 'transient',
    message: 'circuit open for connector billing_test: failing fast without calling it',
    retryable: true,
  },
};
const getPayment = { payment_id: 'pay_1' };

let database: Database;
let redis: Redis;
const script = createVendorScript();
const stores: RedisCircuitStore[] = [];
const gateways: ManagedConnectorGateway[] = [];
let prefix: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedBilling(database.pool);
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  await redis?.quit();
  await database?.close();
});
beforeEach(() => {
  script.reset();
  prefix = `breaker-test:${randomUUID()}`;
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(stores.splice(0).map((store) => store.dispose()));
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
});

/** A "process": its own store (own connections) and gateway, following the others' changes. */
async function processOn(url = redisUrl, logger?: Logger) {
  const store = createRedisCircuitStore({ url, prefix, connectTimeoutMs: 300 });
  stores.push(store);
  const gateway = billingTestGateway(database.pool, script, {
    resilience,
    sharedCircuits: store,
    ...(logger ? { logger } : {}),
  });
  gateways.push(gateway);
  // The gateway subscribes on creation; subscribing once more waits until that channel is in place.
  if (url === redisUrl) await store.subscribe(() => {});
  return { store, gateway };
}

const paymentCall = (gateway: ManagedConnectorGateway) =>
  gateway.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment);
const vendorCalls = () => script.runs.get('get_payment') ?? 0;

/** Three transient failures in `gateway` open its breaker (fastResilience: 3 consecutive). */
async function openThrough(
  gateway: ManagedConnectorGateway,
  message = '503 from the vendor',
  shown = message,
) {
  script.push(
    'get_payment',
    ...Array.from({ length: 3 }, () => ({ throw: new ConnectorError('transient', message) })),
  );
  for (let index = 0; index < 3; index++) {
    expect(await paymentCall(gateway)).toMatchObject({ status: 'error', error: { message: shown } });
  }
  expect(gateway.circuitState('billing_test')).toBe('open');
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const afterHalfOpenDelay = () => new Promise((resolve) => setTimeout(resolve, halfOpenAfterMs + 50));

describe(`circuit breakers shared through Redis (${testDatabaseKind()})`, () => {
  it('opens for every process when one finds the system down: the other fails fast and serves its cache', async () => {
    const a = await processOn();
    const b = await processOn();
    // B read an account while the system was up: that answer is its stale fallback.
    expect(await b.gateway.callByName(sessions.maya, 'billing_test', 'get_account', {})).toMatchObject({
      status: 'ok',
      stale: false,
    });
    await b.gateway.flush();
    const accountReads = script.runs.get('get_account');

    await openThrough(a.gateway, '503 while reading pay_1');
    expect(vendorCalls()).toBe(3);
    const record = await a.store.read('billing_test');
    expect(record).toMatchObject({ reason: 'transient: 503 while reading pay_1' });
    expect(record!.openUntil).toBeGreaterThan(Date.now());
    expect(await redis.pttl(`${prefix}:breaker:billing_test`)).toBeLessThanOrEqual(halfOpenAfterMs);

    // B never failed itself, yet fails fast with the same error as an open local breaker…
    expect(await paymentCall(b.gateway)).toEqual(circuitOpen);
    expect(vendorCalls()).toBe(3);
    expect(b.gateway.circuitState('billing_test')).toBe('open');
    // …and a cacheable read falls back to B's cached answer, marked stale, without calling the system.
    expect(await b.gateway.callByName(sessions.maya, 'billing_test', 'get_account', {})).toMatchObject({
      status: 'ok',
      stale: true,
    });
    expect(script.runs.get('get_account')).toBe(accountReads);
  });

  it('shares the reason scrubbed of redacted input values', async () => {
    const store = createRedisCircuitStore({ url: redisUrl, prefix });
    stores.push(store);
    const gateway = billingTestGateway(database.pool, script, {
      resilience,
      sharedCircuits: store,
      policies: { billing_test: { fields: { get_payment: { redact: ['payment_id'] } } } },
    });
    gateways.push(gateway);
    await openThrough(gateway, 'no answer for pay_1', 'no answer for [redacted]');
    expect((await store.read('billing_test'))?.reason).toBe('transient: no answer for [redacted]');
  });

  it('lets exactly one trial call through across processes after the half-open delay; its success closes both', async () => {
    const a = await processOn();
    const b = await processOn();
    await openThrough(a.gateway);
    await until(() => b.gateway.circuitState('billing_test') === 'open', 'B hears the circuit opened');
    await afterHalfOpenDelay();
    expect(a.gateway.circuitState('billing_test')).not.toBe('closed');
    expect(b.gateway.circuitState('billing_test')).toBe('half_open');

    // Six calls at once of an operation with no database work before the breaker (the circuit is the
    // connector's), and a slow trial: every other call reaches the shared state while the trial runs.
    const helpCall = (gateway: ManagedConnectorGateway) =>
      gateway.callByName(sessions.maya, 'billing_test', 'search_help', { query: 'refund' });
    script.push('search_help', { delayMs: 120 });
    const results = await Promise.all([
      ...Array.from({ length: 3 }, () => helpCall(a.gateway)),
      ...Array.from({ length: 3 }, () => helpCall(b.gateway)),
    ]);
    expect(script.runs.get('search_help')).toBe(1);
    expect(results.filter((result) => result.status === 'ok')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'error')).toEqual(Array(5).fill(circuitOpen));

    await until(
      () =>
        a.gateway.circuitState('billing_test') === 'closed' &&
        b.gateway.circuitState('billing_test') === 'closed',
      'both processes see the circuit closed',
    );
    expect(await redis.exists(`${prefix}:breaker:billing_test`, `${prefix}:breaker:billing_test:trial`)).toBe(
      0,
    );
    expect(await paymentCall(a.gateway)).toMatchObject({ status: 'ok' });
    expect(await paymentCall(b.gateway)).toMatchObject({ status: 'ok' });
    expect(vendorCalls()).toBe(3 + 2);
  });

  it("closes the opener's own breaker when another process's trial succeeds", async () => {
    const a = await processOn();
    const b = await processOn();
    await openThrough(a.gateway);
    await until(() => b.gateway.circuitState('billing_test') === 'open', 'B hears the circuit opened');
    await afterHalfOpenDelay();
    expect(await paymentCall(b.gateway)).toMatchObject({ status: 'ok' });
    expect(vendorCalls()).toBe(4);
    // A's breaker opened on its own failures; B's success closes it (pub/sub), not a call of A's.
    await until(() => a.gateway.circuitState('billing_test') === 'closed', "A's breaker closes");
    // A's next calls are ordinary calls again, not trials: three at once all reach the system.
    const results = await Promise.all(Array.from({ length: 3 }, () => paymentCall(a.gateway)));
    expect(results.map((result) => result.status)).toEqual(['ok', 'ok', 'ok']);
    expect(vendorCalls()).toBe(7);
  });

  it('opens again for everyone when the trial call fails', async () => {
    const a = await processOn();
    const b = await processOn();
    await openThrough(a.gateway);
    const first = await a.store.read('billing_test');
    await until(() => b.gateway.circuitState('billing_test') === 'open', 'B hears the circuit opened');
    await afterHalfOpenDelay();
    expect(await a.store.read('billing_test')).toBeNull();

    script.push('get_payment', { throw: new ConnectorError('transient', 'still 503') });
    expect(await paymentCall(b.gateway)).toMatchObject({ status: 'error', error: { message: 'still 503' } });
    expect(vendorCalls()).toBe(4);
    const again = await b.store.read('billing_test');
    expect(again).toMatchObject({ reason: 'transient: still 503' });
    expect(again!.openUntil).toBeGreaterThan(first!.openUntil);
    // The lease is gone with the verdict, and both processes fail fast again without calling.
    expect(await redis.exists(`${prefix}:breaker:billing_test:trial`)).toBe(0);
    expect(await paymentCall(a.gateway)).toEqual(circuitOpen);
    expect(await paymentCall(b.gateway)).toEqual(circuitOpen);
    expect(vendorCalls()).toBe(4);
    await until(() => a.gateway.circuitState('billing_test') === 'open', 'A hears it opened again');
  });

  it('fails fast while another process holds the trial lease; only the holder gives it back', async () => {
    const a = await processOn();
    await openThrough(a.gateway);
    await afterHalfOpenDelay();
    // Another process took the trial (its call is under way).
    const token = await a.store.takeTrial('billing_test', 5_000);
    expect(token).not.toBeNull();
    // Held by someone else: this process fails fast, the lease stays with its holder.
    expect(await paymentCall(a.gateway)).toEqual(circuitOpen);
    await a.store.releaseTrial('billing_test', 'not-the-token');
    expect(await redis.get(`${prefix}:breaker:billing_test:trial`)).toBe(token);
    await a.store.releaseTrial('billing_test', token!);
    expect(await paymentCall(a.gateway)).toMatchObject({ status: 'ok' });
    expect(a.gateway.circuitState('billing_test')).toBe('closed');
  });

  it("falls back to each process's own breaker when Redis is unreachable, and says so once", async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      error() {},
      warn: (_object, message) => warnings.push(message ?? ''),
    };
    const { gateway } = await processOn('redis://127.0.0.1:1', logger);
    const started = performance.now();
    await openThrough(gateway);
    expect(vendorCalls()).toBe(3);
    expect(await paymentCall(gateway)).toEqual(circuitOpen);
    expect(vendorCalls()).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, halfOpenAfterMs + 50));
    expect(await paymentCall(gateway)).toMatchObject({ status: 'ok' });
    expect(gateway.circuitState('billing_test')).toBe('closed');
    // Calls never waited for Redis: the first connection attempt (refused at once) is all it cost.
    expect(performance.now() - started).toBeLessThan(halfOpenAfterMs + 2_000);
    const notices = warnings.filter((message) =>
      message.includes('shared circuit-breaker state is unreachable'),
    );
    expect(notices).toHaveLength(1);
    expect(await gateway.circuit('billing_test')).toEqual({ state: 'closed', openUntil: null, reason: null });
  });
});
