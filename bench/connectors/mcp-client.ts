/**
 * MCP tool call round trip over stdio (docs/custom-connectors.md, "MCP servers as connectors").
 * `npm run bench:mcp-client [-- --calls=1000]`: the fake order server (test/fakes/mcp/stdio-server.ts) as a
 * child process; a read tool called directly with the SDK client, then through the whole pipeline
 * (`gateway.callByName`, customer bound from the session, embedded PGlite in memory, buffered audit),
 * interleaved, after a warm-up. Prints p50/p95/p99 in ms.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';
import { createConnectorGateway } from '../../connectors/core/index.ts';
import { createVault } from '../../connectors/core/vault.ts';
import { mcpConnectorBuilder } from '../../connectors/custom/mcp/builder.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';

const command = {
  command: 'npm run bench:mcp-client',
  summary:
    'An external MCP server (the fake order server over stdio) called directly with the SDK client and\n' +
    'through the connector pipeline, interleaved: p50/p95/p99 (docs/custom-connectors.md).',
  options: {
    calls: { type: 'string', value: '<n>', default: '1000', description: 'timed calls of each kind' },
    warmup: { type: 'string', value: '<n>', default: '100', description: 'untimed calls first' },
  },
  examples: ['npm run bench:mcp-client', 'npm run bench:mcp-client -- --calls=5000'],
} as const;
const { values } = parseCommandLine(command);
const calls = numberOption(command, 'calls', String(values.calls), { min: 1, integer: true });
const warmUp = numberOption(command, 'warmup', String(values.warmup), { min: 0, integer: true });
const script = path.resolve(import.meta.dirname, '../../test/fakes/mcp/stdio-server.ts');
const server = { command: process.execPath, args: ['--import', 'tsx', script], env: {} };
const session = {
  conversationId: 'bench',
  actor: 'agent' as const,
  customer: { contactId: 'ct_1', accountId: 'acc_1', verified: true },
};

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99) };
};

const database = await openDatabase({ dataDir: 'memory://' });
await migrateToLatest(database.pool);
const gateway = createConnectorGateway({ db: database.pool, connectors: [] });
const built = await mcpConnectorBuilder.build(
  {
    id: 'orders',
    kind: 'mcp',
    title: 'Orders',
    version: 1,
    enabled: true,
    updatedAt: new Date(),
    updatedBy: null,
    spec: mcpConnectorBuilder.spec.parse({
      transport: { stdio: 'orders' },
      tools: { get_orders: { customer: { argument: 'customer_id', from: 'contactId' } } },
    }),
  },
  {
    vault: createVault({
      db: database.pool,
      masterKeys: { currentKeyId: 'k', keys: { k: Buffer.alloc(32, 1) } },
    }),
    mcp: { stdioServers: { orders: server }, allowedHosts: [] },
  },
);
gateway.registerConnector(built.definition);

const direct = new Client({ name: 'bench', version: '1.0.0' });
await direct.connect(new StdioClientTransport(server));

const sdkSamples: number[] = [];
const pipelineSamples: number[] = [];
for (let index = 0; index < warmUp + calls; index++) {
  let started = performance.now();
  const answer = await direct.callTool({ name: 'get_orders', arguments: { customer_id: 'ct_1' } });
  const sdkMs = performance.now() - started;
  if (answer.isError) throw new Error('the direct call failed');
  started = performance.now();
  const result = await gateway.callByName(session, 'orders', 'get_orders', {});
  const pipelineMs = performance.now() - started;
  if (result.status !== 'ok') throw new Error(`the pipeline call failed: ${JSON.stringify(result)}`);
  if (index < warmUp) continue;
  sdkSamples.push(sdkMs);
  pipelineSamples.push(pipelineMs);
}

const round = (value: number) => Math.round(value * 1000) / 1000;
const print = (name: string, samples: number[]) => {
  const { p50, p95, p99 } = summary(samples);
  console.log(`| ${name} | ${calls} | ${round(p50)} | ${round(p95)} | ${round(p99)} |`);
};
console.log(
  `Node ${process.version}, ${calls} calls after ${warmUp} warm-up, stdio child: ${server.command} ${server.args.join(' ')}`,
);
console.log('| path | calls | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|');
print('SDK client → stdio server (no pipeline)', sdkSamples);
print('gateway.callByName → MCP connector → stdio server', pipelineSamples);

await direct.close();
await built.close?.();
await gateway.close();
await database.close();
