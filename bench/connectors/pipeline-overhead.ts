/**
 * What the connector pipeline adds per call, versus calling the same operation's `run` directly on
 * the same database: a read by primary key and a write (one INSERT), median over N calls each,
 * direct and pipeline calls interleaved so drift hits both alike.
 *
 *   npx tsx bench/connectors/pipeline-overhead.ts [postgres://… (a server URL: a temp database is created and dropped)]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import type { CallerSession, ConnectorDefinition, OperationContext } from '../../connectors/core/index.ts';
import { type AuditSettings, createConnectorGateway, defineOperation } from '../../connectors/core/index.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';

const calls = 2_000;
const warmup = 200;

const session: CallerSession = {
  conversationId: 'bench',
  actor: 'agent',
  customer: { contactId: 'ct_b', accountId: 'acc_b', verified: true, tier: 'pro' },
};

function benchConnector(database: Database): ConnectorDefinition {
  const account = z.object({ id: z.string(), name: z.string(), tier: z.string(), region: z.string() });
  const read = {
    description: 'Account by primary key',
    effect: 'read' as const,
    input: z.object({ account_id: z.string() }),
    output: account,
    scopes: [],
    timeoutMs: 5_000,
    customerKey: { field: 'account_id', from: 'accountId' as const },
    async run(input: { account_id: string }) {
      const { rows } = await database.pool.query(
        'SELECT id, name, tier, region FROM accounts WHERE id = $1',
        [input.account_id],
      );
      return rows[0];
    },
  };
  return {
    id: 'bench',
    title: 'Bench',
    grantedScopes: [],
    check: async () => ({ ok: true, detail: 'ok' }),
    operations: {
      get_account: defineOperation({ name: 'get_account', ...read }),
      get_account_cached: defineOperation({ name: 'get_account_cached', ...read, cacheable: true }),
      add_credit: defineOperation({
        name: 'add_credit',
        description: 'One INSERT into credits',
        effect: 'write',
        input: z.object({
          id: z.string(),
          account_id: z.string(),
          amount_cents: z.number().int().positive(),
        }),
        output: z.object({ id: z.string() }),
        scopes: [],
        timeoutMs: 5_000,
        customerKey: { field: 'account_id', from: 'accountId' },
        idempotencyKey: (input) => `credit:${input.id}`,
        async run(input) {
          await database.pool.query(
            `INSERT INTO credits (id, account_id, amount_cents, reason) VALUES ($1, $2, $3, 'bench')`,
            [input.id, input.account_id, input.amount_cents],
          );
          return { id: input.id };
        },
      }),
    },
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]!;

async function measure(direct: () => Promise<unknown>, viaPipeline: () => Promise<unknown>) {
  for (let index = 0; index < warmup; index++) {
    await direct();
    await viaPipeline();
  }
  const directTimes: number[] = [];
  const pipelineTimes: number[] = [];
  for (let index = 0; index < calls; index++) {
    let started = performance.now();
    await direct();
    directTimes.push(performance.now() - started);
    started = performance.now();
    await viaPipeline();
    pipelineTimes.push(performance.now() - started);
  }
  return {
    directMedianMs: median(directTimes),
    pipelineMedianMs: median(pipelineTimes),
    addedMedianMs: median(pipelineTimes) - median(directTimes),
    pipelineP95Ms: p95(pipelineTimes),
  };
}

async function runOn(label: string, database: Database) {
  await database.pool.query(`
    INSERT INTO accounts (id, name, tier, region) VALUES ('acc_b', 'Bench Co', 'pro', 'EU') ON CONFLICT DO NOTHING;
    INSERT INTO contacts (id, account_id, name, email) VALUES ('ct_b', 'acc_b', 'Bea', 'bea@bench.example') ON CONFLICT DO NOTHING;
  `);
  const connector = benchConnector(database);
  const context = (): OperationContext => ({
    session,
    now: () => new Date(),
    signal: new AbortController().signal,
    policy: { auto_refund_limit_cents: 20_000, refund_window_days: 30 },
  });
  const rows: Array<Record<string, string | number>> = [];
  for (const audit of [
    { mode: 'sync' },
    { mode: 'buffered', flushIntervalMs: 250 },
  ] satisfies AuditSettings[]) {
    const gateway = createConnectorGateway({ db: database.pool, connectors: [connector], audit });
    const ops = connector.operations;
    let sequence = 0;
    const newId = () => `cr_${label}_${audit.mode}_${sequence++}_${randomBytes(3).toString('hex')}`;
    const cases = {
      'read (PK)': await measure(
        () => ops.get_account!.run({ account_id: 'acc_b' }, context()),
        () => gateway.callByName(session, 'bench', 'get_account', {}),
      ),
      'read (PK, cacheable)': await measure(
        () => ops.get_account_cached!.run({ account_id: 'acc_b' }, context()),
        () => gateway.callByName(session, 'bench', 'get_account_cached', {}),
      ),
      'write (INSERT)': await measure(
        () => ops.add_credit!.run({ id: newId(), account_id: 'acc_b', amount_cents: 100 }, context()),
        () => gateway.callByName(session, 'bench', 'add_credit', { id: newId(), amount_cents: 100 }),
      ),
    };
    await gateway.close();
    for (const [name, result] of Object.entries(cases)) {
      rows.push({
        database: label,
        audit: audit.mode,
        case: name,
        'direct median ms': result.directMedianMs.toFixed(3),
        'pipeline median ms': result.pipelineMedianMs.toFixed(3),
        'added median ms': result.addedMedianMs.toFixed(3),
        'pipeline p95 ms': result.pipelineP95Ms.toFixed(3),
      });
    }
    const failures = await database.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE outcome <> 'ok'`,
    );
    if (failures.rows[0].n > 0) throw new Error(`${failures.rows[0].n} benchmark calls did not succeed`);
  }
  const audited = await database.pool.query('SELECT count(*)::int AS n FROM audit_log');
  console.log(`${label}: ${audited.rows[0].n} audit rows written (every call, both modes)`);
  return rows;
}

async function main() {
  console.log(
    `Pipeline overhead: ${calls} measured calls per case (after ${warmup} warm-up), node ${process.version}`,
  );
  const results: Array<Record<string, string | number>> = [];
  const embedded = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrateToLatest(embedded.pool);
    results.push(...(await runOn('pglite', embedded)));
  } finally {
    await embedded.close();
  }
  const serverUrl = process.argv[2];
  if (serverUrl) {
    const name = `sb_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const server = await openDatabase({ url: url.toString(), maxConnections: 5 });
    try {
      await server.pool.query('CREATE EXTENSION IF NOT EXISTS vector');
      await migrateToLatest(server.pool);
      results.push(...(await runOn('postgres', server)));
    } finally {
      await server.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
  console.table(results);
}

await main();
