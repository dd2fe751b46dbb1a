import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createApiKey } from '../../api/mcp/api-keys.ts';
import { mcpTestWorld } from '../../api/mcp/test-world.ts';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { loadWorld } from '../../db/world/load-world.ts';

/**
 * `npm run bench:mcp [-- --calls=500 --warmup=50]`: the MCP tool-call round trip over stdio. Starts
 * `app/mcp-main.ts` as an MCP client would (one process, embedded PGlite in a temporary DATA_DIR with
 * two customers), then times `tools/call billing__get_invoice` (a read through the whole pipeline:
 * key lookup, identity, ownership, policy, resilience, audit) and `tools/list`, one call at a time.
 * Prints p50/p95/p99 (docs/mcp.md, "Measured").
 */
const command = {
  command: 'npm run bench:mcp',
  summary:
    'The MCP tool-call round trip over stdio against app/mcp-main.ts on embedded PGlite: p50/p95 of a\n' +
    'read tool call and of tools/list, sequential calls after a warm-up (docs/mcp.md).',
  options: {
    calls: { type: 'string', value: '<n>', default: '500', description: 'timed calls of each kind' },
    warmup: { type: 'string', value: '<n>', default: '50', description: 'untimed calls first' },
  },
  examples: ['npm run bench:mcp', 'npm run bench:mcp -- --calls=2000 --warmup=100'],
} as const;

const { values } = parseCommandLine(command);
const calls = numberOption(command, 'calls', String(values.calls), { min: 1, integer: true });
const warmup = numberOption(command, 'warmup', String(values.warmup), { min: 0, integer: true });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-mcp-'));
try {
  const database = await openDatabase({ dataDir });
  await migrateToLatest(database.pool);
  await loadWorld(database.pool, mcpTestWorld());
  const { key } = await createApiKey(database.pool, {
    name: 'bench',
    subject: { kind: 'customer', contactId: 'ct_mcp_1' },
    createdBy: null,
  });
  // PGlite belongs to one process: the server opens it next.
  await database.close();

  const started = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', path.join(root, 'app/mcp-main.ts')],
    cwd: root,
    env: {
      DATA_DIR: dataDir,
      SWITCHBOARD_MCP_API_KEY: key,
      LOG_LEVEL: 'warn',
    },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'switchboard-bench', version: '1.0.0' });
  await client.connect(transport);
  const startupMs = performance.now() - started;

  const time = async (run: () => Promise<unknown>) => {
    for (let index = 0; index < warmup; index++) await run();
    const samples: number[] = [];
    for (let index = 0; index < calls; index++) {
      const at = performance.now();
      await run();
      samples.push(performance.now() - at);
    }
    return summary(samples);
  };
  const read = await time(async () => {
    const result = await client.callTool({
      name: 'billing__get_invoice',
      arguments: { invoice_id: 'INV-M1' },
    });
    if (result.isError) throw new Error(`the read failed: ${JSON.stringify(result.content)}`);
  });
  const list = await time(() => client.listTools());
  await client.close();

  const rows = [
    ['tools/call billing__get_invoice', read],
    ['tools/list', list],
  ] as const;
  process.stdout.write(
    `MCP over stdio — ${calls} sequential calls each after ${warmup} warm-up, embedded PGlite, ` +
      `Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})\n` +
      `server start to initialized: ${startupMs.toFixed(0)} ms\n\n` +
      '| call | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|\n' +
      rows
        .map(
          ([name, stats]) =>
            `| ${name} | ${stats.p50.toFixed(2)} | ${stats.p95.toFixed(2)} | ${stats.p99.toFixed(2)} | ${stats.max.toFixed(2)} |`,
        )
        .join('\n') +
      '\n',
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1]! };
}
