import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { hashArgs } from './canonical.ts';
import { type ConnectorGatewayOptions, createConnectorGateway } from './connector-gateway.ts';
import { type ConnectorDefinition, defineOperation } from './definition.ts';
import { ConnectorError } from './errors.ts';
import { createIdempotencyStore, runAsJob } from './idempotency.ts';
import type { Queryable } from './queryable.ts';
import { fastResilience, seedBilling, sessions } from './testing/fixtures.ts';

let database: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedBilling(database.pool);
});
afterAll(async () => {
  await database?.close();
});

const thisProcess = `${hostname()}:${process.pid}`;

const keyRow = async (key: string) =>
  (
    await database.pool.query(
      `SELECT status, lease_id, holder, holder_job, result, error, locked_until::text AS locked_until
       FROM idempotency_keys WHERE key = $1`,
      [key],
    )
  ).rows[0];

const refundRows = async (amount: number) =>
  (await database.pool.query('SELECT count(*)::int AS n FROM refunds WHERE amount_cents = $1', [amount]))
    .rows[0].n as number;

/** Polls `check` until it holds (conditions on the database, never a measured duration). */
async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** True once the database clock has passed `instant` (a lease's expiry as it was read). */
const databaseTimePassed = async (instant: string) =>
  (await database.pool.query<{ past: boolean }>('SELECT now() > $1::timestamptz AS past', [instant])).rows[0]!
    .past;

/** A pool wrapper that records every lease renewal and whether it still held the lease. */
function observedPool(pool: pg.Pool) {
  const renewals: boolean[] = [];
  const db: Queryable = {
    query: (async (text: string, values?: unknown[]) => {
      const result = await pool.query(text, values);
      if (/^UPDATE idempotency_keys SET locked_until/.test(text.trim()))
        renewals.push((result.rowCount ?? 0) > 0);
      return result;
    }) as pg.Pool['query'],
  };
  return { db, renewals };
}

describe(`idempotency leases in the store (${testDatabaseKind()})`, () => {
  it('gives each claim its own lease id and records the holder: this process and, inside a job, the job', async () => {
    const store = createIdempotencyStore(database.pool, { waitMs: 0 });
    const plain = await store.claim('lease-holder-1', 'c', 'op', 'h');
    const inJob = await runAsJob('agent.turn/turn-42#2', () => store.claim('lease-holder-2', 'c', 'op', 'h'));
    if (plain.kind !== 'run' || inJob.kind !== 'run') throw new Error('expected to run');
    expect(plain.lease).not.toBe(inJob.lease);
    expect(await keyRow('lease-holder-1')).toMatchObject({
      status: 'in_progress',
      lease_id: plain.lease,
      holder: thisProcess,
      holder_job: null,
    });
    expect(await keyRow('lease-holder-2')).toMatchObject({
      lease_id: inJob.lease,
      holder: thisProcess,
      holder_job: 'agent.turn/turn-42#2',
    });
  });

  it('renews a held lease; after a take-over the old holder can no longer renew, complete or release', async () => {
    const store = createIdempotencyStore(database.pool, { waitMs: 0 });
    const old = await store.claim('lease-fence', 'c', 'op', 'h');
    if (old.kind !== 'run') throw new Error('expected to run');
    const claimed = (await keyRow('lease-fence')).locked_until;
    expect(await store.renew('lease-fence', old.lease)).toBe(true);
    const extended = await database.pool.query(
      `SELECT locked_until > $1::timestamptz AS later FROM idempotency_keys WHERE key = 'lease-fence'`,
      [claimed],
    );
    expect(extended.rows[0].later).toBe(true);

    // Still held: nobody else may run it.
    await expect(store.claim('lease-fence', 'c', 'op', 'h')).rejects.toMatchObject({
      kind: 'conflict',
      retryable: true,
    });
    // The holder stops renewing (it died): its lease runs out and a retry takes the key over.
    await database.pool.query(
      `UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = 'lease-fence'`,
    );
    const taker = await store.claim('lease-fence', 'c', 'op', 'h');
    if (taker.kind !== 'run') throw new Error('expected to take over');
    expect(taker.lease).not.toBe(old.lease);

    expect(await store.renew('lease-fence', old.lease)).toBe(false);
    expect(await store.complete('lease-fence', old.lease, { by: 'old' })).toBe(false);
    expect(await store.release('lease-fence', old.lease, { kind: 'transient', message: 'late' })).toBe(false);
    expect(await keyRow('lease-fence')).toMatchObject({
      status: 'in_progress',
      lease_id: taker.lease,
      result: null,
      error: null,
    });
    expect(await store.complete('lease-fence', taker.lease, { by: 'taker' })).toBe(true);
    expect(await store.claim('lease-fence', 'c', 'op', 'h')).toEqual({
      kind: 'replay',
      data: { by: 'taker' },
    });
  });

  it('lets a waiting claim take over once the holder died (stopped renewing) and its lease expired', async () => {
    const settings = { ttlMs: 1_000, heartbeatMs: 200, waitMs: 4_000, pollMs: 10 };
    const holder = createIdempotencyStore(database.pool, settings);
    const dead = await holder.claim('lease-dead', 'c', 'op', 'h');
    if (dead.kind !== 'run') throw new Error('expected to run');
    const heartbeat = holder.keepAlive('lease-dead', dead.lease);
    await waitUntil('a renewal', async () => (await keyRow('lease-dead')).locked_until !== null);
    // The process dies: no release, no more renewals.
    await heartbeat.stop();

    const retry = createIdempotencyStore(database.pool, settings);
    const taken = await retry.claim('lease-dead', 'c', 'op', 'h');
    expect(taken).toEqual({ kind: 'run', lease: expect.any(String) });
    if (taken.kind !== 'run') return;
    expect(taken.lease).not.toBe(dead.lease);
    expect(await holder.complete('lease-dead', dead.lease, { late: true })).toBe(false);
    expect(await retry.complete('lease-dead', taken.lease, { ok: true })).toBe(true);
  });

  it('keeps a live holder’s lease past its TTL (a waiter answers conflict), then the waiter replays its result', async () => {
    const settings = { ttlMs: 1_000, heartbeatMs: 200, pollMs: 10 };
    const holder = createIdempotencyStore(database.pool, { ...settings, waitMs: 0 });
    const live = await holder.claim('lease-live', 'c', 'op', 'h');
    if (live.kind !== 'run') throw new Error('expected to run');
    const heartbeat = holder.keepAlive('lease-live', live.lease);
    try {
      const firstExpiry = (await keyRow('lease-live')).locked_until;
      // Waits more than two TTLs: without the heartbeat the lease would have expired and been taken.
      const waiter = createIdempotencyStore(database.pool, { ...settings, waitMs: 2_500 });
      await expect(waiter.claim('lease-live', 'c', 'op', 'h')).rejects.toMatchObject({
        kind: 'conflict',
        retryable: true,
      });
      expect(await databaseTimePassed(firstExpiry)).toBe(true);
      expect(heartbeat.lost).toBe(false);

      const replay = waiter.claim('lease-live', 'c', 'op', 'h');
      expect(await holder.complete('lease-live', live.lease, { refund: 1 })).toBe(true);
      expect(await replay).toEqual({ kind: 'replay', data: { refund: 1 } });
    } finally {
      await heartbeat.stop();
    }
  });

  it('notices a take-over on the next heartbeat', async () => {
    const store = createIdempotencyStore(database.pool, { ttlMs: 10_000, heartbeatMs: 20, waitMs: 0 });
    const claim = await store.claim('lease-noticed', 'c', 'op', 'h');
    if (claim.kind !== 'run') throw new Error('expected to run');
    const heartbeat = store.keepAlive('lease-noticed', claim.lease);
    try {
      expect(heartbeat.lost).toBe(false);
      await database.pool.query(`UPDATE idempotency_keys SET lease_id = 'taker' WHERE key = 'lease-noticed'`);
      await waitUntil('the heartbeat to notice', () => heartbeat.lost);
    } finally {
      await heartbeat.stop();
    }
  });

  it('keeps the lease through a failed renewal, and gives it up after a whole TTL without one', async () => {
    let failing = false;
    const renewals: Array<'ok' | 'lost' | 'error'> = [];
    const flaky: Queryable = {
      query: (async (text: string, values?: unknown[]) => {
        const renewal = /^UPDATE idempotency_keys SET locked_until/.test(text.trim());
        if (renewal && failing) {
          renewals.push('error');
          throw Object.assign(new Error('connection terminated'), { code: 'ECONNRESET' });
        }
        const result = await database.pool.query(text, values);
        if (renewal) renewals.push((result.rowCount ?? 0) > 0 ? 'ok' : 'lost');
        return result;
      }) as pg.Pool['query'],
    };
    const store = createIdempotencyStore(flaky, { ttlMs: 1_000, heartbeatMs: 40, waitMs: 0 });
    const claim = await store.claim('lease-flaky', 'c', 'op', 'h');
    if (claim.kind !== 'run') throw new Error('expected to run');
    const heartbeat = store.keepAlive('lease-flaky', claim.lease);
    try {
      // One renewal fails, then the database answers again: the lease is still this holder's.
      failing = true;
      await waitUntil('a failed renewal', () => renewals.includes('error'));
      failing = false;
      await waitUntil('a renewal after it', () => renewals.at(-1) === 'ok');
      expect(heartbeat.lost).toBe(false);
      // The database stays unreachable for longer than the lease lasts: someone may have taken it.
      failing = true;
      await waitUntil('the lease to be given up', () => heartbeat.lost);
      expect(renewals).not.toContain('lost');
    } finally {
      await heartbeat.stop();
    }
  });

  it('refuses lease settings that leave no time to renew', () => {
    expect(() => createIdempotencyStore(database.pool, { ttlMs: 1_000, heartbeatMs: 600 })).toThrow(
      /heartbeatMs must be at most half of ttlMs/,
    );
    expect(() => createIdempotencyStore(database.pool, { waitMs: -1 })).toThrow();
  });
});

type Step = 'hold' | 'hang' | Error;

/**
 * A connector with one write whose vendor call the test controls: `hold` waits until `releaseHeld()`,
 * `hang` waits for the call's timeout, an Error is thrown; otherwise it writes a `refunds` row.
 */
function createGatedVendor(timeoutMs = 30_000) {
  const steps: Step[] = [];
  let runs = 0;
  let held: Array<() => void> = [];
  const refund = defineOperation({
    name: 'refund',
    description: 'Refund through a vendor the test controls',
    effect: 'write',
    input: z.object({ payment_id: z.string(), amount_cents: z.number().int().positive() }),
    output: z.object({ refund_id: z.string() }),
    scopes: [],
    timeoutMs,
    idempotencyKey: (input) => `refund:${input.payment_id}:${input.amount_cents}`,
    async run(input, context) {
      runs += 1;
      const step = steps.shift();
      if (step === 'hold') await new Promise<void>((resolve) => held.push(resolve));
      if (step === 'hang') {
        await new Promise<void>((resolve) =>
          context.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        throw new ConnectorError('transient', 'vendor did not answer');
      }
      if (step instanceof Error) throw step;
      const id = `rf_${randomUUID().slice(0, 8)}`;
      await database.pool.query(
        `INSERT INTO refunds (id, payment_id, amount_cents, reason) VALUES ($1, $2, $3, 'test')`,
        [id, input.payment_id, input.amount_cents],
      );
      return { refund_id: id };
    },
  });
  const connector: ConnectorDefinition = {
    id: 'gated',
    title: 'Gated vendor (test)',
    grantedScopes: [],
    async check() {
      return { ok: true, detail: 'test' };
    },
    operations: { refund },
  };
  return {
    connector,
    steps,
    runs: () => runs,
    held: () => held.length,
    releaseHeld() {
      for (const resolve of held) resolve();
      held = [];
    },
  };
}

describe(`idempotency leases through the gateway (${testDatabaseKind()})`, () => {
  const system = sessions.system;
  const keyOf = (amount: number) => `system:gated.refund:refund:pay_1:${amount}`;
  function gatewayFor(
    vendor: ReturnType<typeof createGatedVendor>,
    options: Partial<ConnectorGatewayOptions>,
  ) {
    return createConnectorGateway({
      db: database.pool,
      connectors: [vendor.connector],
      resilience: fastResilience,
      audit: { mode: 'sync' },
      ...options,
    });
  }

  it('keeps a slow write’s lease past its TTL: a duplicate neither takes the key over nor writes', async () => {
    const vendor = createGatedVendor();
    const gateway = gatewayFor(vendor, { idempotency: { ttlMs: 1_000, heartbeatMs: 200, waitMs: 0 } });
    const input = { payment_id: 'pay_1', amount_cents: 1101 };
    vendor.steps.push('hold');
    const first = gateway.callByName(system, 'gated', 'refund', input);
    await waitUntil('the vendor call', () => vendor.held() === 1);
    const firstExpiry = (await keyRow(keyOf(1101))).locked_until;
    await waitUntil('the first lease expiry to pass', () => databaseTimePassed(firstExpiry));

    expect(await gateway.callByName(system, 'gated', 'refund', input)).toMatchObject({
      status: 'error',
      error: { kind: 'conflict', retryable: true },
    });
    expect(vendor.runs()).toBe(1);
    vendor.releaseHeld();
    expect(await first).toMatchObject({ status: 'ok', replayed: false });
    expect(await gateway.callByName(system, 'gated', 'refund', input)).toMatchObject({
      status: 'ok',
      replayed: true,
    });
    expect(await refundRows(1101)).toBe(1);
    expect(await keyRow(keyOf(1101))).toMatchObject({ status: 'completed', locked_until: null });
    await gateway.close();
  });

  it('with the default settings, waits out a dead holder’s lease, takes the key over and writes once', async () => {
    const vendor = createGatedVendor();
    const gateway = gatewayFor(vendor, {});
    const input = { payment_id: 'pay_1', amount_cents: 1102 };
    // A worker died mid-write a moment after renewing its lease (the worst case for its retry).
    await database.pool.query(
      `INSERT INTO idempotency_keys
         (key, connector_id, operation, args_hash, status, locked_until, lease_id, holder, holder_job)
       VALUES ($1, 'gated', 'refund', $2, 'in_progress', now() + interval '2 seconds', 'dead-lease', 'gone:1', 'agent.turn/t1#1')`,
      [keyOf(1102), hashArgs(input)],
    );
    expect(await gateway.callByName(system, 'gated', 'refund', input)).toMatchObject({
      status: 'ok',
      replayed: false,
    });
    expect(vendor.runs()).toBe(1);
    expect(await refundRows(1102)).toBe(1);
    const row = await keyRow(keyOf(1102));
    expect(row).toMatchObject({ status: 'completed', holder: thisProcess });
    expect(row.lease_id).not.toBe('dead-lease');
    // The dead worker's late completion (had it only been slow) is fenced out.
    const store = createIdempotencyStore(database.pool);
    expect(await store.complete(keyOf(1102), 'dead-lease', { refund_id: 'late' })).toBe(false);
    await gateway.close();
  });

  it('stops the heartbeat however the write ends: success, failure or timeout', async () => {
    const { db, renewals } = observedPool(database.pool);
    const settings = { idempotency: { ttlMs: 200, heartbeatMs: 20, waitMs: 0 }, db };
    const settle = async () => {
      const count = renewals.length;
      // Several heartbeat periods: a heartbeat left running would renew (or try to) meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(renewals.length).toBe(count);
    };

    const vendor = createGatedVendor();
    const gateway = gatewayFor(vendor, settings);
    vendor.steps.push('hold');
    const success = gateway.callByName(system, 'gated', 'refund', {
      payment_id: 'pay_1',
      amount_cents: 1103,
    });
    await waitUntil('renewals while the vendor is slow', () => renewals.length >= 2);
    vendor.releaseHeld();
    expect(await success).toMatchObject({ status: 'ok' });
    await settle();

    vendor.steps.push(new ConnectorError('permanent', 'card network said no'));
    expect(
      await gateway.callByName(system, 'gated', 'refund', { payment_id: 'pay_1', amount_cents: 1104 }),
    ).toMatchObject({ status: 'error', error: { kind: 'permanent' } });
    expect(await keyRow(keyOf(1104))).toMatchObject({ status: 'failed' });
    await settle();

    const quick = createGatedVendor(100);
    const quickGateway = gatewayFor(quick, {
      ...settings,
      resilience: { ...fastResilience, retry: { retries: 0 } },
    });
    quick.steps.push('hang');
    expect(
      await quickGateway.callByName(system, 'gated', 'refund', { payment_id: 'pay_1', amount_cents: 1105 }),
    ).toMatchObject({ status: 'error', error: { kind: 'transient' } });
    expect(await keyRow(keyOf(1105))).toMatchObject({ status: 'failed' });
    await settle();
    expect(renewals.every((held) => held)).toBe(true);
    await gateway.close();
    await quickGateway.close();
  });

  it('after losing its lease, a write starts no further attempt, and a late success does not overwrite the taker', async () => {
    const { db, renewals } = observedPool(database.pool);
    const vendor = createGatedVendor(1_000);
    const gateway = gatewayFor(vendor, { db, idempotency: { ttlMs: 10_000, heartbeatMs: 20, waitMs: 0 } });
    const takeOver = (amount: number) =>
      database.pool.query(`UPDATE idempotency_keys SET lease_id = 'taker' WHERE key = $1`, [keyOf(amount)]);

    // The first attempt hangs; meanwhile another attempt takes the key over. The retry must not run.
    vendor.steps.push('hang');
    const retried = gateway.callByName(system, 'gated', 'refund', {
      payment_id: 'pay_1',
      amount_cents: 1106,
    });
    await waitUntil('the vendor call', () => vendor.runs() === 1);
    await takeOver(1106);
    await waitUntil('the heartbeat to notice', () => renewals.includes(false));
    expect(await retried).toMatchObject({ status: 'error', error: { kind: 'conflict', retryable: true } });
    expect(vendor.runs()).toBe(1);
    expect(await keyRow(keyOf(1106))).toMatchObject({
      status: 'in_progress',
      lease_id: 'taker',
      error: null,
    });

    // A vendor call already under way when the lease was lost finishes; its result is not stored.
    renewals.length = 0;
    const slow = createGatedVendor();
    const slowGateway = gatewayFor(slow, { db, idempotency: { ttlMs: 10_000, heartbeatMs: 20, waitMs: 0 } });
    slow.steps.push('hold');
    const late = slowGateway.callByName(system, 'gated', 'refund', {
      payment_id: 'pay_1',
      amount_cents: 1107,
    });
    await waitUntil('the vendor call', () => slow.held() === 1);
    await takeOver(1107);
    await waitUntil('the heartbeat to notice', () => renewals.includes(false));
    slow.releaseHeld();
    expect(await late).toMatchObject({ status: 'ok', replayed: false });
    expect(await keyRow(keyOf(1107))).toMatchObject({
      status: 'in_progress',
      lease_id: 'taker',
      result: null,
    });
    const audit = await database.pool.query(
      `SELECT detail->>'lease_lost' AS lease_lost FROM audit_log WHERE idempotency_key = $1`,
      [keyOf(1107)],
    );
    expect(audit.rows).toEqual([{ lease_lost: 'true' }]);
    await gateway.close();
    await slowGateway.close();
  });
});
