import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { hashArgs } from './canonical.ts';
import type { ConnectorGatewayOptions } from './connector-gateway.ts';
import { ConnectorError } from './errors.ts';
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
beforeEach(async () => {
  script.reset();
  await database.pool.query('DELETE FROM audit_log');
});

function gateway(overrides: Partial<ConnectorGatewayOptions> = {}) {
  return billingTestGateway(database.pool, script, {
    resilience: { ...fastResilience, retry: { ...fastResilience.retry, retries: 0 } },
    ...overrides,
  });
}

describe(`audit log (${testDatabaseKind()})`, () => {
  it('writes one complete row per call', async () => {
    const gw = gateway();
    await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', {
      payment_id: 'pay_1',
      amount_cents: 111,
    });
    script.push('get_payment', { throw: new ConnectorError('not_found', 'no such payment at vendor') });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    const { rows } = await database.pool.query('SELECT * FROM audit_log ORDER BY id');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      conversation_id: 'conv_1',
      actor: 'agent',
      account_id: 'acc_1',
      connector_id: 'billing_test',
      operation: 'refund_payment',
      effect: 'write',
      args_hash: hashArgs({ payment_id: 'pay_1', amount_cents: 111, reason: 'duplicate' }),
      idempotency_key: 'conv_1:billing_test.refund_payment:refund:pay_1:111',
      outcome: 'ok',
      error_kind: null,
      stale: false,
      detail: { input: { payment_id: 'pay_1', amount_cents: 111, reason: 'duplicate' }, attempts: 1 },
    });
    expect(rows[0].latency_ms).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({
      operation: 'get_payment',
      effect: 'read',
      idempotency_key: null,
      outcome: 'error',
      error_kind: 'not_found',
      detail: expect.objectContaining({ error: 'no such payment at vendor' }),
    });
  });

  it('buffers successful reads, writes anything else at once in call order, and loses nothing on close', async () => {
    const gw = gateway({ audit: { mode: 'buffered', flushIntervalMs: 60_000, maxBatch: 1_000 } });
    const count = async () =>
      (await database.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n as number;
    for (let index = 0; index < 25; index++)
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    expect(await count()).toBe(0);
    // An error (what an escalation reads) is written before its call returns, with everything before it.
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_2' });
    expect(await count()).toBe(26);
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', {
      payment_id: 'pay_1',
      amount_cents: 112,
    });
    expect(await count()).toBe(28);
    for (let index = 0; index < 5; index++)
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    expect(await count()).toBe(28);
    await gw.close();
    const { rows } = await database.pool.query('SELECT operation, outcome, at FROM audit_log ORDER BY id');
    expect(rows).toHaveLength(33);
    expect(rows[25]).toMatchObject({ operation: 'get_payment', outcome: 'error' });
    expect(rows[27]).toMatchObject({ operation: 'refund_payment', outcome: 'ok' });
    const times = rows.map((row) => row.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('writes every row before the call returns in sync mode', async () => {
    const gw = gateway({ audit: { mode: 'sync' } });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM audit_log');
    expect(rows[0].n).toBe(1);
  });
});

describe(`metrics, traces and health (${testDatabaseKind()})`, () => {
  it('exposes the documented metrics with connector/operation/outcome labels and no customer ids', async () => {
    const registry = new Registry();
    const gw = gateway({ registry });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_2' });
    await gw.callByName(sessions.maya, 'billing_test', 'no_such_op', {});
    const text = await registry.metrics();
    expect(text).toContain(
      'switchboard_connector_requests_total{connector="billing_test",operation="get_payment",outcome="ok"} 1',
    );
    expect(text).toContain(
      'switchboard_connector_requests_total{connector="billing_test",operation="get_payment",outcome="error"} 1',
    );
    expect(text).toContain(
      'switchboard_connector_requests_total{connector="_unknown",operation="_unknown",outcome="error"} 1',
    );
    expect(text).toContain(
      'switchboard_connector_request_duration_seconds_count{connector="billing_test",operation="get_payment"} 2',
    );
    expect(text).toContain('switchboard_connector_circuit_state{connector="billing_test"} 0');
    for (const id of ['acc_1', 'ct_1', 'conv_1', 'pay_1', 'maya']) expect(text).not.toContain(id);
    // A second gateway on the same registry (eval runs build one per scenario) reuses the metrics.
    expect(() => gateway({ registry })).not.toThrow();
  });

  it('emits one span per call with connector/operation/effect/outcome and no customer ids', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const gw = gateway({ tracer: provider.getTracer('test') });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_2' });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    expect(spans[0]!.name).toBe('connector billing_test.get_payment');
    expect(spans[0]!.attributes).toEqual({
      connector: 'billing_test',
      operation: 'get_payment',
      effect: 'read',
      outcome: 'ok',
    });
    expect(spans[1]!.attributes).toMatchObject({ outcome: 'error', 'error.kind': 'forbidden' });
    expect(spans[1]!.status.code).toBe(2);
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toMatch(/acc_|ct_|conv_|pay_/);
  });

  it('reports rolling success rate, latency percentiles, circuit, last error and credentials per connector', async () => {
    const gw = gateway({
      credentialStatus: async () => ({ state: 'expiring', detail: 'token expires in 2 h' }),
    });
    for (let index = 0; index < 8; index++)
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    script.push('get_payment', { throw: new ConnectorError('transient', 'vendor 503') });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    script.push('get_payment', { throw: new ConnectorError('not_found', 'gone') });
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' });
    // Refused before reaching the vendor: not a sample of the vendor's health.
    await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_2' });

    const [health] = await gw.health();
    expect(health).toMatchObject({
      id: 'billing_test',
      title: 'Billing (test)',
      circuit: 'closed',
      calls: 10,
      successRate: 0.9,
      lastError: { kind: 'transient', message: 'vendor 503' },
      credentials: { state: 'expiring', detail: 'token expires in 2 h' },
    });
    expect(health!.p50LatencyMs).toBeGreaterThan(0);
    expect(health!.p95LatencyMs).toBeGreaterThanOrEqual(health!.p50LatencyMs!);
    expect(await gw.checkConnector('billing_test')).toMatchObject({ ok: true, detail: 'database reachable' });
    expect(await gw.checkConnector('nope')).toMatchObject({ ok: false });
  });

  it('describes connectors and operations without anything secret', () => {
    const described = gateway().describe();
    expect(described).toEqual([
      expect.objectContaining({
        id: 'billing_test',
        title: 'Billing (test)',
        operations: expect.arrayContaining([
          { name: 'refund_payment', effect: 'write', description: 'Refund (part of) a payment' },
        ]),
      }),
    ]);
    expect(described[0]!.operations).toHaveLength(7);
  });
});
