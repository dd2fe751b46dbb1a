import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { type ConnectorGatewayOptions, createConnectorGateway } from '../connector-gateway.ts';
import { type ConnectorDefinition, defineOperation } from '../definition.ts';
import type { Queryable } from '../queryable.ts';

/**
 * Test-only connector "billing_test" over the real refunds/invoices tables, plus a scriptable
 * vendor: each run first takes the next scripted step for its operation (throw, delay, hang,
 * replace output), so tests make the "vendor" misbehave deterministically.
 */
export type VendorStep = { throw: Error } | { delayMs: number } | { hang: true } | { output: unknown };

export interface VendorScript {
  push(operation: string, ...steps: VendorStep[]): void;
  /** Called by each run first: counts the run and plays the next scripted step (if any). */
  next(operation: string, signal: AbortSignal): Promise<{ output?: unknown }>;
  /** How many times each operation's `run` was entered. */
  runs: Map<string, number>;
  /** The idempotency key each write run was given, in order. */
  keys: string[];
  reset(): void;
}

export function createVendorScript(): VendorScript {
  const queues = new Map<string, VendorStep[]>();
  const runs = new Map<string, number>();
  const keys: string[] = [];
  return {
    push(operation, ...steps) {
      queues.set(operation, [...(queues.get(operation) ?? []), ...steps]);
    },
    async next(operation, signal) {
      runs.set(operation, (runs.get(operation) ?? 0) + 1);
      const step = queues.get(operation)?.shift();
      if (!step) return {};
      if ('throw' in step) throw step.throw;
      if ('hang' in step) {
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        throw new Error('aborted');
      }
      if ('delayMs' in step) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
      return 'output' in step ? { output: step.output } : {};
    },
    runs,
    keys,
    reset() {
      queues.clear();
      runs.clear();
      keys.length = 0;
    },
  };
}

/** Minimal rows: two accounts (pro, enterprise), a contact, invoice and payment each, one subscription each. */
export async function seedBilling(db: Queryable): Promise<void> {
  await db.query(`
    INSERT INTO accounts (id, name, tier, region) VALUES ('acc_1', 'Brightpath', 'pro', 'EU'), ('acc_2', 'Northwind', 'enterprise', 'NA');
    INSERT INTO contacts (id, account_id, name, email) VALUES
      ('ct_1', 'acc_1', 'Maya Chen', 'maya@brightpath.io'), ('ct_2', 'acc_2', 'Omar Haddad', 'omar@northwind.example');
    INSERT INTO subscriptions (id, account_id, plan_id, status, period_end) VALUES
      ('sub_1', 'acc_1', 'pro', 'active', '2026-12-01'), ('sub_2', 'acc_2', 'enterprise', 'active', '2026-12-01');
    INSERT INTO invoices (id, account_id, amount_cents, status, issued_at) VALUES
      ('INV-1', 'acc_1', 9900, 'paid', '2026-11-01'), ('INV-2', 'acc_2', 99000, 'paid', '2026-11-01');
    INSERT INTO payments (id, invoice_id, amount_cents, status, card_last4, created_at) VALUES
      ('pay_1', 'INV-1', 9900, 'succeeded', '4242', '2026-11-01T10:00:00Z'),
      ('pay_2', 'INV-2', 99000, 'succeeded', '1881', '2026-11-01T10:00:00Z'),
      ('pay_big', 'INV-1', 45000, 'succeeded', '4242', '2026-11-02T10:00:00Z');
  `);
}

const accountOutput = z.object({
  id: z.string(),
  name: z.string(),
  tier: z.string(),
  contacts: z.array(z.object({ id: z.string(), name: z.string(), email: z.string() })),
  owner: z.object({ name: z.string().nullable(), email: z.string().nullable() }),
});

/** Builds the test connector. `db` is the database the operations use (as a real connector would hold it). */
export function createBillingTestConnector(db: Queryable, script: VendorScript): ConnectorDefinition {
  const paymentOwner = async (paymentId: string, queryable: Queryable) => {
    const { rows } = await queryable.query<{ account_id: string }>(
      'SELECT i.account_id FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.id = $1',
      [paymentId],
    );
    return rows[0]?.account_id ?? null;
  };

  const getAccount = defineOperation({
    name: 'get_account',
    description: 'The caller’s account with its contacts',
    effect: 'read',
    input: z.object({ account_id: z.string() }),
    output: accountOutput,
    scopes: ['crm.read'],
    timeoutMs: 200,
    customerKey: { field: 'account_id', from: 'accountId' },
    cacheable: true,
    async run(input, context) {
      const step = await script.next('get_account', context.signal);
      if ('output' in step) return step.output as z.infer<typeof accountOutput>;
      const account = await db.query(
        'SELECT id, name, tier, owner_name, owner_email FROM accounts WHERE id = $1',
        [input.account_id],
      );
      const contacts = await db.query(
        'SELECT id, name, email FROM contacts WHERE account_id = $1 ORDER BY id',
        [input.account_id],
      );
      const row = account.rows[0];
      return {
        id: row.id,
        name: row.name,
        tier: row.tier,
        contacts: contacts.rows,
        owner: { name: row.owner_name, email: row.owner_email },
      };
    },
  });

  const getPayment = defineOperation({
    name: 'get_payment',
    description: 'One payment by id',
    effect: 'read',
    input: z.object({ payment_id: z.string() }),
    output: z.object({ id: z.string(), amount_cents: z.number().int(), card_last4: z.string().nullable() }),
    scopes: ['billing.read'],
    timeoutMs: 200,
    ownership: { ownerOf: (input, queryable) => paymentOwner(input.payment_id, queryable) },
    async run(input, context) {
      const step = await script.next('get_payment', context.signal);
      if ('output' in step) return step.output as never;
      const { rows } = await db.query('SELECT id, amount_cents, card_last4 FROM payments WHERE id = $1', [
        input.payment_id,
      ]);
      return rows[0];
    },
  });

  const refundPayment = defineOperation({
    name: 'refund_payment',
    description: 'Refund (part of) a payment',
    effect: 'write',
    input: z.object({
      payment_id: z.string(),
      amount_cents: z.number().int().positive(),
      reason: z.string().default('duplicate'),
    }),
    output: z.object({ refund_id: z.string(), amount_cents: z.number().int() }),
    scopes: ['billing.write'],
    timeoutMs: 300,
    mayNeedApproval: true,
    idempotencyKey: (input) => `refund:${input.payment_id}:${input.amount_cents}`,
    ownership: { ownerOf: (input, queryable) => paymentOwner(input.payment_id, queryable) },
    async run(input, context) {
      const step = await script.next('refund_payment', context.signal);
      if (context.idempotencyKey) script.keys.push(context.idempotencyKey);
      // Deliberately NOT idempotent itself: a second run inserts a second row, so tests see double writes.
      const id = `rf_${randomUUID().slice(0, 8)}`;
      await db.query('INSERT INTO refunds (id, payment_id, amount_cents, reason) VALUES ($1, $2, $3, $4)', [
        id,
        input.payment_id,
        input.amount_cents,
        input.reason,
      ]);
      if ('output' in step) return step.output as never;
      return { refund_id: id, amount_cents: input.amount_cents };
    },
  });

  const cancelSubscription = defineOperation({
    name: 'cancel_subscription',
    description: 'Cancel the caller’s subscription at period end',
    effect: 'write',
    input: z.object({ account_id: z.string() }),
    output: z.object({ cancelled: z.boolean() }),
    scopes: ['billing.write'],
    timeoutMs: 300,
    customerKey: { field: 'account_id', from: 'accountId' },
    idempotencyKey: (input) => `cancel:${input.account_id}`,
    async run(input) {
      await db.query('UPDATE subscriptions SET cancel_at_period_end = true WHERE account_id = $1', [
        input.account_id,
      ]);
      return { cancelled: true };
    },
  });

  const addNote = defineOperation({
    name: 'add_note',
    description: 'A write without a natural key (needs a caller key)',
    effect: 'write',
    input: z.object({ account_id: z.string(), body: z.string() }),
    output: z.object({ ok: z.boolean() }),
    scopes: ['crm.write'],
    timeoutMs: 300,
    customerKey: { field: 'account_id', from: 'accountId' },
    async run(input, context) {
      await script.next('add_note', context.signal);
      await db.query(
        `INSERT INTO interactions (id, account_id, kind, body, author) VALUES ($1, $2, 'note', $3, 'agent')`,
        [`int_${randomUUID().slice(0, 8)}`, input.account_id, input.body],
      );
      return { ok: true };
    },
  });

  const searchHelp = defineOperation({
    name: 'search_help',
    description: 'Public help search (anyone may call)',
    effect: 'read',
    input: z.object({ query: z.string().min(1) }),
    output: z.object({ hits: z.number() }),
    scopes: [],
    timeoutMs: 200,
    allowUnverified: true,
    async run(_input, context) {
      await script.next('search_help', context.signal);
      return { hits: 1 };
    },
  });

  const serverTime = defineOperation({
    name: 'server_time',
    description: 'A read bound to nobody (system/health use)',
    effect: 'read',
    input: z.object({}),
    output: z.object({ now: z.string(), limit: z.number() }),
    scopes: [],
    timeoutMs: 200,
    async run(_input, context) {
      return { now: context.now().toISOString(), limit: context.policy.auto_refund_limit_cents };
    },
  });

  return {
    id: 'billing_test',
    // The numbers its refund limit names, defaulted by the connector as billing does.
    policyNumbers: { auto_refund_limit_cents: 20_000, refund_window_days: 30 },
    title: 'Billing (test)',
    grantedScopes: ['crm.read', 'crm.write', 'billing.read', 'billing.write'],
    async check() {
      await db.query('SELECT 1');
      return { ok: true, detail: 'database reachable' };
    },
    operations: {
      get_account: getAccount,
      get_payment: getPayment,
      refund_payment: refundPayment,
      cancel_subscription: cancelSubscription,
      add_note: addNote,
      search_help: searchHelp,
      server_time: serverTime,
    },
  };
}

/** Sessions for the seeded customers. */
export const sessions = {
  maya: {
    conversationId: 'conv_1',
    actor: 'agent' as const,
    customer: { contactId: 'ct_1', accountId: 'acc_1', verified: true, tier: 'pro' },
  },
  omar: {
    conversationId: 'conv_2',
    actor: 'agent' as const,
    customer: { contactId: 'ct_2', accountId: 'acc_2', verified: true, tier: 'enterprise' },
  },
  unverifiedMaya: {
    conversationId: 'conv_3',
    actor: 'agent' as const,
    customer: { contactId: 'ct_1', accountId: 'acc_1', verified: false, tier: 'pro' },
  },
  anonymous: { conversationId: 'conv_4', actor: 'agent' as const, customer: null },
  system: { conversationId: null, actor: 'system' as const, customer: null },
};

/** Resilience settings that keep tests fast. */
export const fastResilience = {
  retry: { retries: 2, initialDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 2_000 },
  halfOpenAfterMs: 150,
  breaker: { kind: 'consecutive' as const, failures: 3 },
};

/** A gateway over the billing test connector, with fast retries unless the test says otherwise. */
export function billingTestGateway(
  pool: pg.Pool,
  script: VendorScript,
  overrides: Partial<ConnectorGatewayOptions> = {},
) {
  return createConnectorGateway({
    db: pool,
    connectors: [createBillingTestConnector(pool, script)],
    resilience: fastResilience,
    ...overrides,
  });
}
