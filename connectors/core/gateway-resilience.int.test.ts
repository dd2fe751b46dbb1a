import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import type { ConnectorGatewayOptions } from './connector-gateway.ts';
import { ConnectorError } from './errors.ts';
import { createFaultInjector } from './faults.ts';
import {
  billingTestGateway,
  createVendorScript,
  fastResilience,
  seedBilling,
  sessions,
} from './testing/fixtures.ts';

let database: Database;
const script = createVendorScript();

beforeAll(async () => {
  database = await createTestDatabase();
  await seedBilling(database.pool);
});
afterAll(async () => {
  await database?.close();
});
beforeEach(() => script.reset());

function gateway(overrides: Partial<ConnectorGatewayOptions> = {}) {
  return billingTestGateway(database.pool, script, overrides);
}

const transient = (message = '503') => ({ throw: new ConnectorError('transient', message) });
const getPayment = { payment_id: 'pay_1' };

describe(`resilience through the gateway (${testDatabaseKind()})`, () => {
  it('retries transient failures and then succeeds', async () => {
    const gw = gateway();
    script.push('get_payment', transient(), transient());
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
      status: 'ok',
      data: { id: 'pay_1' },
    });
    expect(script.runs.get('get_payment')).toBe(3);
    await gw.flush();
    const { rows } = await database.pool.query(
      `SELECT detail FROM audit_log WHERE operation = 'get_payment' ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0].detail.attempts).toBe(3);
  });

  it('opens the circuit, fails fast without calling the vendor, then half-opens and closes', async () => {
    const gw = gateway({ resilience: { ...fastResilience, retry: { retries: 0 } } });
    script.push('get_payment', transient(), transient(), transient());
    for (let index = 0; index < 3; index++) {
      expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
        status: 'error',
      });
    }
    expect(gw.circuitState('billing_test')).toBe('open');
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toEqual({
      status: 'error',
      error: {
        kind: 'transient',
        message: 'circuit open for connector billing_test: failing fast without calling it',
        retryable: true,
      },
    });
    // Failing fast means the vendor was not called (no timing assertion: the machine may be busy).
    expect(script.runs.get('get_payment')).toBe(3);
    // Every operation of the connector shares the breaker.
    expect(await gw.callByName(sessions.maya, 'billing_test', 'search_help', { query: 'x' })).toMatchObject({
      status: 'error',
    });
    expect(
      await gw.metrics.registry.getSingleMetricAsString('switchboard_connector_circuit_state'),
    ).toContain('switchboard_connector_circuit_state{connector="billing_test"} 2');

    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
      status: 'ok',
    });
    expect(gw.circuitState('billing_test')).toBe('closed');
    expect(
      await gw.metrics.registry.getSingleMetricAsString('switchboard_connector_circuit_state'),
    ).toContain('switchboard_connector_circuit_state{connector="billing_test"} 0');
  });

  it('times out a hung vendor call with the operation timeout', async () => {
    const gw = gateway({ resilience: { ...fastResilience, retry: { retries: 0 } } });
    script.push('get_payment', { hang: true });
    const started = performance.now();
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toEqual({
      status: 'error',
      error: { kind: 'transient', message: 'timed out after 200 ms', retryable: true },
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1_000);
  });

  it("waits for the vendor's Retry-After before retrying", async () => {
    const gw = gateway();
    script.push('get_payment', {
      throw: new ConnectorError('rate_limited', '429', { retryAfterSeconds: 0.4 }),
    });
    const started = performance.now();
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
      status: 'ok',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(395);
  });

  it('serves the last good (redacted) result marked stale with its age when the vendor is down', async () => {
    let now = new Date('2026-11-20T09:00:00Z');
    const gw = gateway({
      now: () => now,
      policies: { billing_test: { fields: { get_account: { redact: ['contacts[].email', 'owner'] } } } },
    });
    const fresh = await gw.callByName(sessions.maya, 'billing_test', 'get_account', {});
    expect(fresh).toMatchObject({ status: 'ok', stale: false });
    await gw.flush();
    const { rows: cached } = await database.pool.query(
      `SELECT cache_key, value, stored_at FROM connector_cache`,
    );
    expect(cached).toHaveLength(1);
    expect(cached[0].cache_key).toMatch(/^billing_test\.get_account:[0-9a-f]{64}$/);
    expect(JSON.stringify(cached[0].value)).not.toContain('@');
    expect(cached[0].stored_at).toEqual(now);

    // An identical result shortly after is not rewritten (no write per hot read).
    now = new Date('2026-11-20T09:00:10Z');
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_account', {})).toMatchObject({
      status: 'ok',
      stale: false,
    });
    await gw.flush();
    const { rows: again } = await database.pool.query(`SELECT stored_at FROM connector_cache`);
    expect(again[0].stored_at).toEqual(new Date('2026-11-20T09:00:00Z'));

    now = new Date('2026-11-20T09:01:30Z');
    script.push('get_account', transient(), transient(), transient());
    const stale = await gw.callByName(sessions.maya, 'billing_test', 'get_account', {});
    expect(stale).toEqual({
      status: 'ok',
      stale: true,
      ageSeconds: 90,
      data: fresh.status === 'ok' ? fresh.data : null,
    });
    await gw.flush();
    const { rows } = await database.pool.query(
      `SELECT outcome, stale, error_kind, detail->>'age_seconds' AS age FROM audit_log WHERE operation = 'get_account' ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]).toEqual({ outcome: 'stale', stale: true, error_kind: 'transient', age: '90' });

    // Another customer never gets this customer's cached data.
    script.push('get_account', transient(), transient(), transient());
    expect(await gw.callByName(sessions.omar, 'billing_test', 'get_account', {})).toMatchObject({
      status: 'error',
      error: { kind: 'transient' },
    });
  });

  it('asks again when the output fails the schema, and never passes the garbage on', async () => {
    const gw = gateway();
    const garbage = { output: { id: 42, amount_cents: 'lots', card_number: '4111111111111111' } };
    script.push('get_payment', garbage, garbage, garbage);
    const result = await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment);
    expect(result).toMatchObject({
      status: 'error',
      error: {
        kind: 'transient',
        message: expect.stringContaining('malformed response from billing_test.get_payment'),
      },
    });
    expect(JSON.stringify(result)).not.toContain('4111111111111111');
    // Retried (the read is safe to repeat) until the retries ran out.
    expect(script.runs.get('get_payment')).toBe(3);
  });
});

describe(`fault injection through the gateway (${testDatabaseKind()})`, () => {
  const setup = () => {
    const faults = createFaultInjector({ enabled: true, mode: 'embedded' });
    return {
      faults,
      gw: gateway({
        faults,
        resilience: { ...fastResilience, breaker: { kind: 'consecutive', failures: 50 } },
      }),
    };
  };

  it('error: each armed use fails one vendor call; the rest go through', async () => {
    const { faults, gw } = setup();
    faults.arm({ connector: 'billing_test', operation: 'get_payment', mode: 'error', times: 5 });
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
      status: 'error',
      error: { kind: 'transient', message: 'vendor error (injected fault)' },
    });
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
      status: 'ok',
    });
    expect(script.runs.get('get_payment')).toBe(1);
    expect(faults.armed()).toEqual([]);
  });

  it('timeout: the call hangs until the operation timeout, then the retry succeeds', async () => {
    const { faults, gw } = setup();
    faults.arm({ connector: 'billing_test', operation: '*', mode: 'timeout', times: 1 });
    const started = performance.now();
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
      status: 'ok',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });

  it('slow: delays the real call', async () => {
    const { faults, gw } = setup();
    faults.arm({ connector: 'billing_test', operation: 'get_payment', mode: 'slow', times: 1, delayMs: 80 });
    const started = performance.now();
    expect(await gw.callByName(sessions.maya, 'billing_test', 'get_payment', getPayment)).toMatchObject({
      status: 'ok',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect(script.runs.get('get_payment')).toBe(1);
  });

  it('malformed: the write happened but its answer was garbage; asking again under the same key does not repeat it', async () => {
    const { faults, gw } = setup();
    faults.arm({ connector: 'billing_test', operation: 'refund_payment', mode: 'malformed', times: 1 });
    const result = await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', {
      payment_id: 'pay_1',
      amount_cents: 909,
    });
    expect(result).toMatchObject({ status: 'ok', data: { amount_cents: 909 } });
    expect(JSON.stringify(result)).not.toContain('Bad Gateway');
    // Asked again under the same key: a vendor that honours idempotency keys (as the built-in
    // billing connector does) answers for the first refund instead of making a second one.
    expect(script.keys).toHaveLength(2);
    expect(new Set(script.keys).size).toBe(1);
  });
});
