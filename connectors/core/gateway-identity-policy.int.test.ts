import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import type { ConnectorGatewayOptions } from './connector-gateway.ts';
import { ConnectorError } from './errors.ts';
import { getPolicy, setPolicy } from './policy-store.ts';
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
beforeEach(async () => {
  script.reset();
  await database.pool.query('DELETE FROM connector_policies');
});

function gateway(overrides: Partial<ConnectorGatewayOptions> = {}) {
  return billingTestGateway(database.pool, script, { policyCacheMs: 0, ...overrides });
}

/** The newest audit row (of one operation: a buffered read's row may be flushed concurrently). */
async function lastAudit(operation?: string) {
  const { rows } = operation
    ? await database.pool.query('SELECT * FROM audit_log WHERE operation = $1 ORDER BY id DESC LIMIT 1', [
        operation,
      ])
    : await database.pool.query('SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
  return rows[0];
}

function captureLogs() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { logger, lines };
}

describe(`identity binding (${testDatabaseKind()})`, () => {
  it('fills the customer key from the session, never from arguments', async () => {
    const result = await gateway().callByName(sessions.maya, 'billing_test', 'get_account', {});
    expect(result).toMatchObject({ status: 'ok', data: { id: 'acc_1', name: 'Brightpath' } });
  });

  it('refuses a customer key that names another account', async () => {
    const result = await gateway().callByName(sessions.maya, 'billing_test', 'get_account', {
      account_id: 'acc_2',
    });
    expect(result).toEqual({
      status: 'error',
      error: { kind: 'forbidden', message: "account_id must be the caller's own account", retryable: false },
    });
    expect(script.runs.get('get_account')).toBeUndefined();
    expect(await lastAudit('get_account')).toMatchObject({
      outcome: 'error',
      error_kind: 'forbidden',
      account_id: 'acc_1',
    });
  });

  it("refuses another customer's records and reports missing ones as not found", async () => {
    const gw = gateway();
    expect(
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' }),
    ).toMatchObject({
      status: 'ok',
      data: { id: 'pay_1' },
    });
    expect(
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_2' }),
    ).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_nope' }),
    ).toMatchObject({
      status: 'error',
      error: { kind: 'not_found' },
    });
    const refund = await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', {
      payment_id: 'pay_2',
      amount_cents: 100,
    });
    expect(refund).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM refunds WHERE payment_id = 'pay_2'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('lets unverified and anonymous customers call only allowUnverified operations', async () => {
    const gw = gateway();
    for (const session of [sessions.unverifiedMaya, sessions.anonymous]) {
      expect(await gw.callByName(session, 'billing_test', 'get_account', {})).toMatchObject({
        status: 'error',
        error: { kind: 'forbidden' },
      });
      expect(await gw.callByName(session, 'billing_test', 'search_help', { query: 'sso' })).toMatchObject({
        status: 'ok',
      });
    }
  });

  it('lets system sessions call unbound operations only, with the injected clock and policy', async () => {
    const gw = gateway({
      now: () => new Date('2026-11-20T09:00:00Z'),
      policy: async () => ({ auto_refund_limit_cents: 12_345, refund_window_days: 30 }),
    });
    expect(await gw.callByName(sessions.system, 'billing_test', 'server_time', {})).toMatchObject({
      status: 'ok',
      data: { now: '2026-11-20T09:00:00.000Z', limit: 12_345 },
    });
    expect(
      await gw.callByName(sessions.system, 'billing_test', 'get_account', { account_id: 'acc_1' }),
    ).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
  });

  it('answers unknown names and bad input with invalid_input, carrying the zod messages', async () => {
    const gw = gateway();
    expect(await gw.callByName(sessions.maya, 'nope', 'x', {})).toMatchObject({
      status: 'error',
      error: { kind: 'invalid_input', message: 'unknown connector "nope"' },
    });
    expect(await gw.callByName(sessions.maya, 'billing_test', 'drop_tables', {})).toMatchObject({
      status: 'error',
      error: { kind: 'invalid_input', message: expect.stringContaining('unknown operation "drop_tables"') },
    });
    const bad = await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', {
      payment_id: 'pay_1',
      amount_cents: -5,
    });
    expect(bad).toMatchObject({ status: 'error', error: { kind: 'invalid_input' } });
    expect(bad.status === 'error' && bad.error.message).toMatch(/amount_cents: Too small/);
  });
});

describe(`authorization policy (${testDatabaseKind()})`, () => {
  it('refuses operations the policy does not allow', async () => {
    const gw = gateway({ policies: { billing_test: { allowedOperations: ['get_account'] } } });
    expect(
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' }),
    ).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden', message: 'operation get_payment is not allowed by the connector policy' },
    });
  });

  it('keeps redacted fields out of the output, the audit row and the log lines', async () => {
    const { logger, lines } = captureLogs();
    const gw = gateway({
      logger,
      policies: {
        billing_test: {
          fields: {
            get_account: { allow: ['id', 'name', 'tier', 'contacts'], redact: ['contacts[].email'] },
            add_note: { redact: ['body'] },
          },
        },
      },
    });
    const result = await gw.callByName(sessions.maya, 'billing_test', 'get_account', {});
    expect(result).toMatchObject({ status: 'ok', data: { contacts: [{ id: 'ct_1', name: 'Maya Chen' }] } });
    expect(JSON.stringify(result)).not.toContain('maya@brightpath.io');
    expect(JSON.stringify(result)).not.toContain('owner');

    // Hyphenated so that no digit run in a timestamp or pid can match it by chance.
    const secret = 'card 4111-1111-1111-1111 exp 12/29';
    expect(
      await gw.callByName(
        sessions.maya,
        'billing_test',
        'add_note',
        { body: secret },
        { idempotencyKey: 'note-1' },
      ),
    ).toMatchObject({ status: 'ok' });
    script.push('add_note', {
      throw: new ConnectorError('invalid_input', `vendor rejected note "${secret}"`),
    });
    const failed = await gw.callByName(
      sessions.maya,
      'billing_test',
      'add_note',
      { body: secret },
      { idempotencyKey: 'note-2' },
    );
    expect(failed).toMatchObject({
      status: 'error',
      error: { message: 'vendor rejected note "[redacted]"' },
    });

    const { rows } = await database.pool.query(
      `SELECT detail FROM audit_log WHERE conversation_id = 'conv_1'`,
    );
    const audit = JSON.stringify(rows);
    expect(audit).not.toContain('maya@brightpath.io');
    expect(audit).not.toContain('4111-1111');
    expect(audit).toContain('[redacted]');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.join('')).not.toContain('4111-1111');
    expect(lines.join('')).not.toContain('maya@brightpath.io');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      connector: 'billing_test',
      operation: 'get_account',
      outcome: 'ok',
    });
  });

  it('hands segment-ruled requests to a human without running them', async () => {
    const gw = gateway({
      policies: {
        billing_test: {
          segmentRules: [
            { tiers: ['enterprise'], operations: ['cancel_subscription'], action: 'human_only' },
          ],
        },
      },
    });
    expect(await gw.callByName(sessions.omar, 'billing_test', 'cancel_subscription', {})).toEqual({
      status: 'human_required',
      rule: 'tier enterprise: cancel_subscription is handled by a person',
    });
    const { rows } = await database.pool.query(
      `SELECT cancel_at_period_end FROM subscriptions WHERE id = 'sub_2'`,
    );
    expect(rows[0].cancel_at_period_end).toBe(false);
    expect(await lastAudit('cancel_subscription')).toMatchObject({
      outcome: 'human_required',
      error_kind: null,
    });
    expect(await gw.callByName(sessions.maya, 'billing_test', 'cancel_subscription', {})).toMatchObject({
      status: 'ok',
    });
  });

  it('turns a refund over the limit into an exact pending action, which runs once approved', async () => {
    const gw = gateway({
      policies: {
        billing_test: {
          actionLimits: [
            {
              operation: 'refund_payment',
              field: 'amount_cents',
              max: { policy: 'auto_refund_limit_cents' },
            },
          ],
        },
      },
    });
    const pending = await gw.callByName(sessions.maya, 'billing_test', 'refund_payment', {
      payment_id: 'pay_big',
      amount_cents: 45_000,
    });
    expect(pending).toEqual({
      status: 'approval_required',
      pendingAction: {
        connector: 'billing_test',
        operation: 'refund_payment',
        input: { payment_id: 'pay_big', amount_cents: 45_000, reason: 'duplicate' },
        // The action across conversations (one approval per action); the key adds the conversation.
        actionKey: 'billing_test.refund_payment:refund:pay_big:45000',
        idempotencyKey: 'conv_1:billing_test.refund_payment:refund:pay_big:45000',
        reason: 'amount_cents 45000 > auto_refund_limit_cents 20000',
      },
    });
    const count = async () =>
      (await database.pool.query(`SELECT count(*)::int AS n FROM refunds WHERE payment_id = 'pay_big'`))
        .rows[0].n;
    expect(await count()).toBe(0);
    expect(await lastAudit('refund_payment')).toMatchObject({ outcome: 'approval_required' });

    if (pending.status !== 'approval_required') throw new Error('unreachable');
    const human = { ...sessions.maya, actor: 'human' as const, actorId: 'agent_ann' };
    const approved = await gw.callByName(
      human,
      'billing_test',
      'refund_payment',
      pending.pendingAction.input,
      {
        idempotencyKey: pending.pendingAction.idempotencyKey,
        approval: { approvedBy: 'agent_ann' },
      },
    );
    expect(approved).toMatchObject({ status: 'ok', data: { amount_cents: 45_000 } });
    expect(await count()).toBe(1);
    expect(await lastAudit('refund_payment')).toMatchObject({
      outcome: 'ok',
      actor: 'human',
      idempotency_key: 'conv_1:billing_test.refund_payment:refund:pay_big:45000',
      detail: expect.objectContaining({ approved_by: 'agent_ann', actor_id: 'agent_ann' }),
    });
  });
});

describe(`policy store (${testDatabaseKind()})`, () => {
  it('stores overrides that replace the default at once, validated against the connector', async () => {
    const gw = gateway({
      policyCacheMs: 60_000,
      policies: { billing_test: { allowedOperations: ['get_account'] } },
    });
    expect((await gw.getPolicy('billing_test')).allowedOperations).toEqual(['get_account']);
    await expect(
      gw.setPolicy('billing_test', { allowedOperations: ['refund_paymnt'] }, 'admin'),
    ).rejects.toThrow(/unknown operation\(s\) refund_paymnt/);
    await gw.setPolicy('billing_test', { allowedOperations: ['get_account', 'get_payment'] }, 'admin');
    expect(
      await gw.callByName(sessions.maya, 'billing_test', 'get_payment', { payment_id: 'pay_1' }),
    ).toMatchObject({ status: 'ok' });
    const stored = await getPolicy(database.pool, 'billing_test');
    expect(stored).toMatchObject({
      updatedBy: 'admin',
      policy: { allowedOperations: ['get_account', 'get_payment'] },
    });
  });

  it('refuses calls (fails closed) when the stored policy is invalid', async () => {
    await database.pool.query(
      `INSERT INTO connector_policies (connector_id, policy) VALUES ('billing_test', '{"allowedOperations": "all"}')`,
    );
    expect(await gateway().callByName(sessions.maya, 'billing_test', 'get_account', {})).toMatchObject({
      status: 'error',
    });
    expect(script.runs.get('get_account')).toBeUndefined();
  });

  it('rejects a configured default that names an unknown operation at construction', () => {
    expect(() =>
      gateway({
        policies: {
          billing_test: { actionLimits: [{ operation: 'refund', field: 'amount_cents', max: 1 }] },
        },
      }),
    ).toThrow(/unknown operation\(s\) refund/);
    expect(() => gateway({ policies: { billing: {} } })).toThrow(/unknown connector "billing"/);
  });

  it('round-trips through getPolicy/setPolicy', async () => {
    expect(await getPolicy(database.pool, 'billing_test')).toBeNull();
    await setPolicy(database.pool, 'billing_test', { fields: { get_account: { redact: ['owner'] } } }, null);
    expect((await getPolicy(database.pool, 'billing_test'))?.policy.fields).toEqual({
      get_account: { redact: ['owner'] },
    });
    await expect(
      setPolicy(database.pool, 'billing_test', { fields: { x: { allow: ['a[0]'] } } }),
    ).rejects.toThrow(/Invalid policy for connector "billing_test"/);
  });
});
