/**
 * What a declarative HTTP connector (connectors/custom/http) adds per call, versus a direct `fetch`
 * to the same local server: the fake order service (test/fakes/orders), its OpenAPI document
 * imported as an admin would, one read bound to the session's contact email, median over N calls
 * each, direct and pipeline calls interleaved so drift hits both alike. Embedded PGlite in memory,
 * default (buffered) audit.
 *
 *   npm run bench:http-connector
 */
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';
import { createContactDirectory } from '../../connectors/backends/directory.ts';
import type { CallerSession } from '../../connectors/core/index.ts';
import { createConnectorGateway, createVault, parseMasterKeys } from '../../connectors/core/index.ts';
import { httpConnectorBuilder } from '../../connectors/custom/http/index.ts';
import { importOpenApi } from '../../connectors/custom/http/openapi-import.ts';
import { httpConnectorSpecSchema } from '../../connectors/custom/http/spec.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startFakeOrders } from '../../test/fakes/orders/server.ts';

const command = {
  command: 'npm run bench:http-connector',
  summary:
    "A declarative HTTP connector's pipeline overhead over a direct fetch to the same local order\n" +
    'service, median of interleaved calls, embedded PGlite in memory (docs/custom-connectors.md).',
  options: {
    calls: { type: 'string', value: '<n>', default: '2000', description: 'measured calls of each kind' },
    warmup: { type: 'string', value: '<n>', default: '200', description: 'untimed calls first' },
  },
  examples: ['npm run bench:http-connector', 'npm run bench:http-connector -- --calls=5000'],
} as const;
const { values } = parseCommandLine(command);
const calls = numberOption(command, 'calls', String(values.calls), { min: 1, integer: true });
const warmup = numberOption(command, 'warmup', String(values.warmup), { min: 0, integer: true });
const email = 'bea@bench.example';

const session: CallerSession = {
  conversationId: 'bench',
  actor: 'agent',
  customer: { contactId: 'ct_b', accountId: 'acc_b', verified: true, tier: 'pro' },
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]!;

async function main() {
  const database = await openDatabase({ dataDir: 'memory://' });
  const fake = await startFakeOrders();
  try {
    await migrateToLatest(database.pool);
    await database.pool.query(`
      INSERT INTO accounts (id, name, tier, region) VALUES ('acc_b', 'Bench Co', 'pro', 'EU');
      INSERT INTO contacts (id, account_id, name, email) VALUES ('ct_b', 'acc_b', 'Bea', '${email}');
    `);
    fake.orders.set('ord_1', {
      id: 'ord_1',
      status: 'placed',
      total_cents: 4200,
      placed_at: '2026-11-01T10:00:00Z',
      customer_email: email,
      tracking_number: null,
      internal_margin_cents: 1300,
      shipping_address: { line1: '1 Main St', city: 'Lyon', postcode: '69001' },
    });
    const draft = await importOpenApi(await fake.document());
    const spec = httpConnectorSpecSchema.parse({
      ...draft.spec,
      operations: draft.spec.operations
        .filter((operation) => operation.name === 'get_order')
        .map((operation) => ({ ...operation, outputFields: ['id', 'status', 'total_cents'] })),
    });
    const vault = createVault({
      db: database.pool,
      masterKeys: parseMasterKeys('bench:W7QM5WDe06FG8fxWtmaj6vmq1ABctRNHHxQmyl1N1NE=', 'bench key'),
    });
    await vault.put('orders', 'api_key', fake.apiKey);
    const built = await httpConnectorBuilder.build(
      {
        id: 'orders',
        kind: 'http',
        title: 'Orders',
        version: 1,
        spec,
        enabled: true,
        updatedAt: new Date(),
        updatedBy: null,
      },
      { vault, directory: createContactDirectory(database.pool), outbound: { allowedHosts: ['127.0.0.1'] } },
    );
    const gateway = createConnectorGateway({ db: database.pool, connectors: [built.definition] });

    const direct = async () => {
      const response = await fetch(`${fake.url}/orders/ord_1?customer_email=${encodeURIComponent(email)}`, {
        headers: { 'x-api-key': fake.apiKey, accept: 'application/json' },
      });
      const body = (await response.json()) as { id: string };
      if (body.id !== 'ord_1') throw new Error('direct call failed');
    };
    const viaPipeline = async () => {
      const result = await gateway.callByName(session, 'orders', 'get_order', { order_id: 'ord_1' });
      if (result.status !== 'ok') throw new Error(`pipeline call failed: ${JSON.stringify(result)}`);
    };
    for (let index = 0; index < warmup; index++) {
      await direct();
      await viaPipeline();
    }
    fake.requests.length = 0;
    const operation = built.definition.operations.get_order!;
    const runOnly = async () => {
      await operation.run(
        { order_id: 'ord_1' },
        { session, now: () => new Date(), signal: new AbortController().signal, policy: {} },
      );
    };
    const directTimes: number[] = [];
    const pipelineTimes: number[] = [];
    const runTimes: number[] = [];
    for (let index = 0; index < calls; index++) {
      let started = performance.now();
      await direct();
      directTimes.push(performance.now() - started);
      started = performance.now();
      await viaPipeline();
      pipelineTimes.push(performance.now() - started);
      started = performance.now();
      await runOnly();
      runTimes.push(performance.now() - started);
      // The fake keeps every request; the benchmark does not need them.
      if (fake.requests.length > 1000) fake.requests.length = 0;
    }
    await gateway.close();
    await built.close?.();
    console.log(
      `HTTP connector overhead: ${calls} measured calls each (after ${warmup} warm-up), node ${process.version}, PGlite in memory`,
    );
    console.table([
      {
        case: 'read (get_order, customer_email bound from the session)',
        'direct fetch median ms': median(directTimes).toFixed(3),
        'pipeline median ms': median(pipelineTimes).toFixed(3),
        'added median ms': (median(pipelineTimes) - median(directTimes)).toFixed(3),
        'operation run alone median ms': median(runTimes).toFixed(3),
        'direct p95 ms': p95(directTimes).toFixed(3),
        'pipeline p95 ms': p95(pipelineTimes).toFixed(3),
      },
    ]);
  } finally {
    await fake.close();
    await database.close();
  }
}

await main();
