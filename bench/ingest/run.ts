import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createServer } from '../../api/server.ts';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';
import { createApiRuntime } from '../../app/runtime.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { readFolder } from '../../knowledge/cli.ts';
import { demoArticlesFolder, ingestInGroups } from '../../knowledge/demo-articles.ts';
import { countingEmbedder, type Embedder } from '../../knowledge/embedder.ts';
import { createIngester } from '../../knowledge/ingest.ts';
import { createLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { createWorkerEmbedder } from '../../knowledge/worker-embedder.ts';
import { growCorpus } from './corpus.ts';

/**
 * `npm run bench:ingest`: ingestion throughput and what it does to a server in the same process. A
 * real API server (in-process runtime, `createServer`) listens while N help-center documents (the
 * demo articles, then varied copies: bench/ingest/corpus.ts) are ingested in groups; meanwhile the
 * event-loop delay is sampled (`monitorEventLoopDelay`), `/healthz`, the chat page `/` and a help page
 * that reads the database (`/help/api-rate-limits`) are requested over HTTP one after another, and a
 * customer-sized query is embedded every 500 ms the way a turn would. Once per embedder arrangement.
 */
const command = {
  command: 'npm run bench:ingest',
  summary:
    'Ingests N help-center documents (demo articles, then varied copies) in the process of a listening\n' +
    'API server and reports chunks/s, the event-loop delay (p50/p99/max), the latency of concurrent\n' +
    'HTTP requests (/healthz, the chat page, a help page that reads the database) and of query\n' +
    'embeddings. `inline`: the model on the server thread (as before); `worker`: in a worker thread.\n' +
    'Embedded PGlite in memory unless --postgres is given. JSON in bench/out/ (docs/knowledge.md).',
  options: {
    documents: { type: 'string', value: '<n>', default: '120', description: 'documents to ingest' },
    embedder: {
      type: 'string',
      value: '<inline|worker|both>',
      default: 'both',
      description: 'where the model runs while ingesting',
    },
    'group-size': { type: 'string', value: '<n>', default: '8', description: 'articles per transaction' },
    'inline-group-size': {
      type: 'string',
      value: '<n>',
      default: '1',
      description: 'articles per transaction for `inline` (1: as the server indexed before)',
    },
    postgres: {
      type: 'string',
      value: '<url>',
      default: '',
      description: 'a PostgreSQL server (a scratch database is created and dropped)',
    },
    'probe-ms': { type: 'string', value: '<ms>', default: '100', description: 'pause between HTTP probes' },
  },
  examples: ['npm run bench:ingest', 'npm run bench:ingest -- --documents 300 --embedder worker'],
} as const;
const { values } = parseCommandLine(command);
const documentCount = numberOption(command, 'documents', values.documents, { min: 1, integer: true });
const groupSize = numberOption(command, 'group-size', values['group-size'], { min: 1, integer: true });
const inlineGroupSize = numberOption(command, 'inline-group-size', values['inline-group-size'], {
  min: 1,
  integer: true,
});
const probeMs = numberOption(command, 'probe-ms', values['probe-ms'], { min: 0 });
if (!['inline', 'worker', 'both'].includes(values.embedder)) {
  process.stderr.write(
    `--embedder must be inline, worker or both (got ${JSON.stringify(values.embedder)})\n`,
  );
  process.exit(2);
}
const arrangements = (values.embedder === 'both' ? ['inline', 'worker'] : [values.embedder]) as Array<
  'inline' | 'worker'
>;
const log = (line: string) => process.stderr.write(`[bench:ingest] ${line}\n`);

const percentile = (samples: number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const summary = (samples: number[]) => ({
  n: samples.length,
  p50: percentile(samples, 50),
  p99: percentile(samples, 99),
  max: samples.length ? Math.max(...samples) : Number.NaN,
});
const ms = (value: number) => value.toFixed(value < 10 ? 1 : 0);

async function openScratchDatabase(): Promise<Database> {
  if (!values.postgres) {
    const database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.pool);
    return database;
  }
  const name = `bench_ingest_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: values.postgres });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(values.postgres);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 5 });
  await migrateToLatest(database.pool);
  return {
    ...database,
    async close() {
      await database.close();
      const dropper = new pg.Client({ connectionString: values.postgres });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

async function measure(arrangement: 'inline' | 'worker') {
  const database = await openScratchDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-ingest-'));
  const runtime = await createApiRuntime({
    database,
    dataDir,
    mode: 'embedded',
    identity: { secret: randomBytes(32).toString('base64url'), demoSigning: true },
  });
  const app = await createServer(runtime.context, { logger: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  // The turn path's embedder: the in-thread model (as app/wiring.ts has it); with the worker, its
  // urgent lane is measured too, to choose between them.
  const inThread = createLocalEmbedder();
  const worker = arrangement === 'worker' ? createWorkerEmbedder() : null;
  const ingesting = countingEmbedder(worker ?? inThread);
  await Promise.all([inThread.embed(['warm up']), worker?.embed(['warm up'])]);
  const { documents: originals } = await readFolder(demoArticlesFolder);
  const corpus = growCorpus(originals, documentCount);

  const http: Record<string, number[]> = { '/healthz': [], '/': [], '/help/api-rate-limits': [] };
  const queries: Record<string, number[]> = { 'in-thread': [], 'worker urgent': [] };
  let running = true;
  const probeHttp = (async () => {
    while (running) {
      for (const route of Object.keys(http)) {
        const started = performance.now();
        const response = await fetch(`${base}${route}`);
        await response.arrayBuffer();
        http[route]!.push(performance.now() - started);
      }
      await sleep(probeMs);
    }
  })();
  let queryNumber = 0;
  const probeQueries = (async () => {
    const lanes: Array<[string, Embedder]> = [['in-thread', inThread]];
    if (worker) lanes.push(['worker urgent', worker.urgent]);
    while (running) {
      await sleep(500);
      for (const [lane, embedder] of lanes) {
        queryNumber += 1;
        const started = performance.now();
        await embedder.embed([`how do I change the billing email on invoice ${queryNumber}?`]);
        queries[lane]!.push(performance.now() - started);
      }
    }
  })();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const report = await ingestInGroups(database.pool, createIngester({ embedder: ingesting }), corpus, {
    groupSize: arrangement === 'inline' ? inlineGroupSize : groupSize,
  });
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  running = false;
  await Promise.all([probeHttp, probeQueries]);
  await app.close();
  await runtime.close();
  await worker?.close();
  await database.close();
  await rm(dataDir, { recursive: true, force: true });
  return {
    arrangement,
    engine: values.postgres ? 'postgres' : 'pglite',
    groupSize: arrangement === 'inline' ? inlineGroupSize : groupSize,
    documents: corpus.length,
    chunks: report.chunksWritten,
    textsEmbedded: ingesting.texts,
    seconds,
    chunksPerSecond: report.chunksWritten / seconds,
    eventLoopDelayMs: {
      p50: delay.percentile(50) / 1e6,
      p99: delay.percentile(99) / 1e6,
      max: delay.max / 1e6,
    },
    http: Object.fromEntries(Object.entries(http).map(([route, samples]) => [route, summary(samples)])),
    queryEmbedding: Object.fromEntries(
      Object.entries(queries)
        .filter(([, samples]) => samples.length > 0)
        .map(([lane, samples]) => [lane, summary(samples)]),
    ),
  };
}

const results = [];
log(
  `load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')}`,
);
for (const arrangement of arrangements) {
  log(`${arrangement}: ingesting ${documentCount} documents…`);
  results.push(await measure(arrangement));
}
const lines = [
  `| embedder | documents / chunks (texts embedded) | seconds | chunks/s | event-loop delay p50 / p99 / max ms | /healthz p50 / p99 / max ms | chat page / | help page (database) | query embedding p50 / p99 / max ms |`,
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map((result) => {
    const route = (name: string) => {
      const s = result.http[name]!;
      return `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
    };
    const queryText = Object.entries(result.queryEmbedding)
      .map(([lane, s]) => `${lane} ${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`)
      .join('; ');
    return `| ${result.arrangement} (groups of ${result.groupSize}, ${result.engine}) | ${result.documents} / ${result.chunks} (${result.textsEmbedded}) | ${result.seconds.toFixed(1)} | ${result.chunksPerSecond.toFixed(1)} | ${ms(result.eventLoopDelayMs.p50)} / ${ms(result.eventLoopDelayMs.p99)} / ${ms(result.eventLoopDelayMs.max)} | ${route('/healthz')} | ${route('/')} | ${route('/help/api-rate-limits')} | ${queryText} |`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
const out = fileURLToPath(new URL('../out/', import.meta.url));
await mkdir(out, { recursive: true });
const file = path.join(out, `ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ loadavg: loadavg(), results }, null, 2));
log(`written ${path.relative(process.cwd(), file)}`);
process.exit(0);
