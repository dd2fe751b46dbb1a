import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { hashArgs } from './canonical.ts';
import type { ConnectorGatewayOptions } from './connector-gateway.ts';
import { ConnectorError } from './errors.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { billingTestGateway, createVendorScript, seedBilling, sessions } from './testing/fixtures.ts';

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

const refundRows = async (amount: number) =>
  (await database.pool.query('SELECT count(*)::int AS n FROM refunds WHERE amount_cents = $1', [amount]))
    .rows[0].n as number;

const keyRow = async (key: string) =>
  (await database.pool.query('SELECT * FROM idempotency_keys WHERE key = $1', [key])).rows[0];

describe(`idempotency store alone (${testDatabaseKind()})`, () => {
  it('claims once, refuses a concurrent holder, replays when completed and fences a stale lease', async () => {
    const store = createIdempotencyStore(database.pool, { waitMs: 0 });
    const first = await store.claim('k-store', 'c', 'op', 'hash-a');
    expect(first.kind).toBe('run');
    await expect(store.claim('k-store', 'c', 'op', 'hash-a')).rejects.toMatchObject({
      kind: 'conflict',
      retryable: true,
    });
    await expect(store.claim('k-store', 'c', 'op', 'hash-b')).rejects.toMatchObject({
      kind: 'conflict',
      retryable: false,
    });
    if (first.kind !== 'run') throw new Error('unreachable');
    expect(await store.complete('k-store', 'not-the-lease', { id: 1 })).toBe(false);
    expect(await store.complete('k-store', first.lease, { id: 1 })).toBe(true);
    expect(await store.claim('k-store', 'c', 'op', 'hash-a')).toEqual({
      kind: 'replay',
      data: { id: 1 },
    });
  });

  it('lets a retry take over a released key', async () => {
    const store = createIdempotencyStore(database.pool, { waitMs: 0 });
    const first = await store.claim('k-release', 'c', 'op', 'h');
    if (first.kind !== 'run') throw new Error('unreachable');
    expect(await store.release('k-release', first.lease, { kind: 'transient', message: '503' })).toBe(true);
    expect(await keyRow('k-release')).toMatchObject({
      status: 'failed',
      error: { kind: 'transient', message: '503' },
    });
    const retry = await store.claim('k-release', 'c', 'op', 'h');
    expect(retry).toEqual({ kind: 'run', lease: expect.any(String) });
    // The released attempt's lease is not the retry's: a late release of it changes nothing.
    expect(await store.release('k-release', first.lease, { kind: 'transient', message: 'late' })).toBe(false);
    expect(await keyRow('k-release')).toMatchObject({ status: 'in_progress', error: null });
  });
});

describe(`idempotent writes through the gateway (${testDatabaseKind()})`, () => {
  it('derives the key from the conversation and the natural key, and refuses keyless writes', async () => {
    const gw = gateway();
    expect(
      await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', {
        payment_id: 'pay_1',
        amount_cents: 101,
      }),
    ).toMatchObject({
      status: 'ok',
    });
    expect(await keyRow('conv_1:billing_test.refund_payment:refund:pay_1:101')).toMatchObject({
      status: 'completed',
      connector_id: 'billing_test',
      operation: 'refund_payment',
      result: { data: { amount_cents: 101 } },
    });
    const keyless = await gw.callByName(sessions.maya, 'billing_test', 'add_note', { body: 'hello' });
    expect(keyless).toMatchObject({
      status: 'error',
      error: { kind: 'invalid_input', message: expect.stringContaining('idempotency key') },
    });
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM interactions WHERE body = 'hello'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('writes exactly once when the vendor fails transiently and the call is then replayed', async () => {
    const gw = gateway();
    script.push(
      'refund_payment',
      { throw: new ConnectorError('transient', '503') },
      { throw: new ConnectorError('transient', '502') },
    );
    const input = { payment_id: 'pay_1', amount_cents: 202 };
    const first = await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input);
    expect(first).toMatchObject({ status: 'ok', replayed: false, data: { amount_cents: 202 } });
    expect(script.runs.get('refund_payment')).toBe(3);
    const replay = await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input);
    expect(replay).toEqual({ ...first, replayed: true });
    expect(script.runs.get('refund_payment')).toBe(3);
    expect(await refundRows(202)).toBe(1);
    const { rows } = await database.pool.query(
      `SELECT outcome, detail->>'attempts' AS attempts, detail->>'replayed' AS replayed FROM audit_log
       WHERE idempotency_key = 'conv_1:billing_test.refund_payment:refund:pay_1:202' ORDER BY id`,
    );
    expect(rows).toEqual([
      { outcome: 'ok', attempts: '3', replayed: null },
      { outcome: 'ok', attempts: null, replayed: 'true' },
    ]);
  });

  it('runs concurrent identical writes once (others wait and replay)', async () => {
    const gw = gateway({ idempotency: { waitMs: 3_000, pollMs: 10 } });
    script.push('refund_payment', { delayMs: 50 });
    const input = { payment_id: 'pay_1', amount_cents: 303 };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input)),
    );
    expect(results.every((result) => result.status === 'ok')).toBe(true);
    expect(
      results.filter((result) => result.status === 'ok' && !result.stale && !result.replayed),
    ).toHaveLength(1);
    expect(await refundRows(303)).toBe(1);
  });

  it('answers a concurrent duplicate with a retryable conflict when not waiting', async () => {
    const gw = gateway({ idempotency: { waitMs: 0 } });
    script.push('refund_payment', { delayMs: 80 });
    const input = { payment_id: 'pay_1', amount_cents: 404 };
    const first = gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input)).toMatchObject({
      status: 'error',
      error: { kind: 'conflict', retryable: true },
    });
    expect(await first).toMatchObject({ status: 'ok' });
    expect(await refundRows(404)).toBe(1);
  });

  it('refuses the same key with different arguments', async () => {
    const gw = gateway();
    const options = { idempotencyKey: 'caller-key-1' };
    expect(
      await gw.callByName(
        sessions.maya,
        'billing_test',
        'refund_payment',
        { payment_id: 'pay_1', amount_cents: 505 },
        options,
      ),
    ).toMatchObject({
      status: 'ok',
    });
    expect(
      await gw.callByName(
        sessions.maya,
        'billing_test',
        'refund_payment',
        { payment_id: 'pay_1', amount_cents: 506 },
        options,
      ),
    ).toEqual({
      status: 'error',
      error: {
        kind: 'conflict',
        message: 'this idempotency key was already used with different arguments',
        retryable: false,
      },
    });
    expect(await refundRows(506)).toBe(0);
  });

  it('releases the key after a failed attempt so a retry can run', async () => {
    const gw = gateway();
    script.push('refund_payment', { throw: new ConnectorError('permanent', 'card network said no') });
    const input = { payment_id: 'pay_1', amount_cents: 606 };
    expect(await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input)).toMatchObject({
      status: 'error',
      error: { kind: 'permanent' },
    });
    expect(await keyRow('conv_1:billing_test.refund_payment:refund:pay_1:606')).toMatchObject({
      status: 'failed',
    });
    expect(await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input)).toMatchObject({
      status: 'ok',
      replayed: false,
    });
    expect(await refundRows(606)).toBe(1);
  });

  it('takes over a write that crashed mid-way once its lock expired, and completes it once', async () => {
    const gw = gateway({ idempotency: { waitMs: 0 } });
    const key = 'conv_1:billing_test.refund_payment:refund:pay_1:707';
    const argsHash = hashArgs({ payment_id: 'pay_1', amount_cents: 707, reason: 'duplicate' });
    await database.pool.query(
      `INSERT INTO idempotency_keys (key, connector_id, operation, args_hash, status, locked_until)
       VALUES ($1, 'billing_test', 'refund_payment', $2, 'in_progress', now() + interval '1 minute')`,
      [key, argsHash],
    );
    const input = { payment_id: 'pay_1', amount_cents: 707 };
    // Still locked: the crashed attempt might be alive.
    expect(await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input)).toMatchObject({
      status: 'error',
      error: { kind: 'conflict', retryable: true },
    });
    expect(await refundRows(707)).toBe(0);
    await database.pool.query(
      `UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    expect(await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input)).toMatchObject({
      status: 'ok',
      replayed: false,
    });
    expect(await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input)).toMatchObject({
      status: 'ok',
      replayed: true,
    });
    expect(await refundRows(707)).toBe(1);
    expect(await keyRow(key)).toMatchObject({ status: 'completed', locked_until: null });
  });

  it('keeps replays of another conversation apart (the key includes the conversation)', async () => {
    const gw = gateway();
    const input = { payment_id: 'pay_1', amount_cents: 808 };
    await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', input);
    const other = await gw.callByName(
      { ...sessions.maya, conversationId: 'conv_other' },
      'billing_test',
      'refund_payment',
      input,
    );
    expect(other).toMatchObject({ status: 'ok', replayed: false });
    expect(await refundRows(808)).toBe(2);
  });
});
