import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npm run bench:soak [-- --customers=200 --minutes=10 --workers=2 --think-ms=15000]`: the
 * production shape (PostgreSQL + Redis + the API + N workers, started as bench:api starts them)
 * under customers at a realistic pace for many minutes. Every process's RSS is sampled every 10 s;
 * the report gives p95 turn time, errors, per-minute latency and, per process, the median RSS of the
 * last minute over that of minutes 2–3 (flat within 10% after warm-up is the target). Writes
 * bench/out/soak-<date>.md (docs/api-benchmark.md, "Soak").
 */
const command = {
  command: 'npm run bench:soak',
  summary:
    'Soak: customers at a realistic pace for many minutes against PostgreSQL + Redis + the API + N\n' +
    'workers; RSS of every process every 10 s. Reports p95 turn time, errors, per-minute latency and\n' +
    'per process the last-minute median RSS over the minute 2–3 median (target: within 10%).',
  options: {
    customers: { type: 'string', value: '<n>', default: '200', description: 'concurrent customers' },
    verified: {
      type: 'string',
      value: '<n>',
      default: '20',
      description: 'how many of them are verified (identity token)',
    },
    minutes: { type: 'string', value: '<n>', default: '10', description: 'how long new messages start' },
    workers: { type: 'string', value: '<n>', default: '2', description: 'worker processes' },
    'think-ms': {
      type: 'string',
      value: '<ms>',
      default: '15000',
      description: 'mean think time between a reply and the next message (±50%)',
    },
    'sample-seconds': {
      type: 'string',
      value: '<s>',
      default: '10',
      description: 'how often every process’s RSS is read',
    },
    postgres: {
      type: 'string',
      value: '<url>',
      default: 'postgres://postgres@127.0.0.1:5432/postgres',
      description: 'PostgreSQL server (a scratch database is created and dropped)',
    },
    redis: {
      type: 'string',
      value: '<url>',
      default: 'redis://127.0.0.1:6379',
      description: 'Redis (a free database number is used and flushed)',
    },
  },
  examples: ['npm run bench:soak', 'npm run bench:soak -- --customers=50 --minutes=4'],
} as const;
const { values } = parseCommandLine(command);
const whole = (
  name: 'customers' | 'verified' | 'minutes' | 'workers' | 'think-ms' | 'sample-seconds',
  min: number,
) => numberOption(command, name, String(values[name]), { min, integer: true });
const customersCount = whole('customers', 1);
const verifiedCount = whole('verified', 0);
const minutes = whole('minutes', 1);
const workerCount = whole('workers', 1);
const thinkMs = whole('think-ms', 0);
const sampleSeconds = whole('sample-seconds', 1);

const [{ openDatabase }, load, processes, soakReport, targets] = await Promise.all([
  import('../../db/database.ts'),
  import('./customer-load.ts'),
  import('./processes.ts'),
  import('./soak-report.ts'),
  import('./targets.ts'),
]);
const { createRunScope, projectRoot, rssBytes, startChild } = processes;
const log = (line: string) => process.stderr.write(`[bench:soak] ${line}\n`);

const secrets = targets.runSecrets();
const { workDir, onCleanUp, cleanUp } = await createRunScope('sb-soak-');

const loadSeconds = minutes * 60;
const samples = new Map<string, Array<{ atSeconds: number; bytes: number }>>();
/** Processes that exited during the load, and when (s). */
const gone = new Map<string, number>();
const responses: Array<{ atSeconds: number; ms: number; failed: boolean }> = [];
let result: Awaited<ReturnType<typeof load.runPacedLoad>>;
let loadAverages: number[] = [];
try {
  const postgres = await targets.createBenchDatabase(values.postgres);
  onCleanUp(() => postgres.drop());
  const redis = await targets.claimRedisDatabase(values.redis);
  onCleanUp(() => redis.flush());
  log(`seeding ${postgres.url}`);
  const database = await openDatabase({ url: postgres.url });
  await targets.seedAndIndex(database);
  const tokens = await targets.identityTokens(
    secrets.identitySecret,
    await targets.customerEmails(database, verifiedCount),
  );
  await database.close();
  const shared = {
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    DATA_DIR: path.join(workDir, 'data'),
    LOG_LEVEL: 'warn',
    MASTER_KEY: secrets.masterKey,
  };
  await mkdir(shared.DATA_DIR, { recursive: true });
  const workers = [];
  for (let number = 1; number <= workerCount; number++) {
    const { child } = await startChild(
      `worker ${number}`,
      'app/worker-main.ts',
      { ...shared, WORKER_CONCURRENCY: '2', WORKER_SHUTDOWN_GRACE_MS: '2000' },
      /worker ready/,
    );
    workers.push(child);
  }
  const { child: api, match } = await startChild(
    'api',
    'app/server-main.ts',
    {
      ...shared,
      HOST: '127.0.0.1',
      PORT: '0',
      IDENTITY_JWT_SECRET: secrets.identitySecret,
      // As in bench:api: every customer on one IP, each far above 30 messages a minute at 0 think time.
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_MESSAGES_PER_CONVERSATION_PER_MINUTE: '100000',
    },
    /listening on (http:\/\/\S+)/,
  );
  const url = match[1]!;
  for (let attempt = 0; (await fetch(`${url}/readyz`).catch(() => null))?.status !== 200; attempt++) {
    if (attempt > 100) throw new Error('the API never answered /readyz with 200');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Warm-up (not measured): every message kind once, so every worker has loaded its model.
  const warm = await load.createConversations(url, workerCount * 2, tokens.slice(0, workerCount));
  for (const [index, customer] of warm.entries())
    for (const text of load.messagesFor(customer, index))
      await load.sendOneMessage(url, customer, load.uniqueText(`${text}`, -index - 1));

  const customers = await load.createConversations(url, customersCount, tokens);
  const children = [api, ...workers];
  const watched: Array<[string, number]> = children.map((child) => [child.name, child.pid]);
  log(
    `${customersCount} customers, ${thinkMs / 1000} s think time, ${minutes} min; pids ${watched.map(([name, pid]) => `${name} ${pid}`).join(', ')}`,
  );
  const started = performance.now();
  const sample = async () => {
    const atSeconds = (performance.now() - started) / 1000;
    for (const child of children) {
      const bytes = await rssBytes(child.pid);
      if (bytes !== null) samples.set(child.name, [...(samples.get(child.name) ?? []), { atSeconds, bytes }]);
      else if (!gone.has(child.name)) {
        // A process that died mid-soak is a finding, not noise: say when, and what it printed last.
        gone.set(child.name, atSeconds);
        log(
          `${child.name} (pid ${child.pid}) is gone at ${atSeconds.toFixed(0)} s; its last output:\n${child.output().slice(-3000)}`,
        );
      }
    }
    loadAverages = [...loadAverages, loadavg()[0]!];
  };
  await sample();
  const sampler = setInterval(() => void sample(), sampleSeconds * 1000);
  const progress = setInterval(() => {
    const recent = responses.filter(
      (response) => response.atSeconds > (performance.now() - started) / 1000 - 60,
    );
    const summary = load.latencySummary(recent.map((response) => response.ms));
    log(
      `${((performance.now() - started) / 60_000).toFixed(1)} min: last minute ${recent.length} replies, p95 ${summary.p95.toFixed(0)} ms, ${recent.filter((response) => response.failed).length} failed; RSS ${watched.map(([name]) => `${name} ${((samples.get(name)?.at(-1)?.bytes ?? 0) / 2 ** 20).toFixed(0)} MB`).join(', ')}`,
    );
  }, 60_000);
  try {
    result = await load.runPacedLoad(url, customers, {
      thinkMs,
      seconds: loadSeconds,
      timeoutSeconds: 90,
      onResponse: ({ ms, at, failed }) => responses.push({ atSeconds: (at - started) / 1000, ms, failed }),
    });
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
  }
  await sample();
  await Promise.all([api.stop(), ...workers.map((worker) => worker.stop())]);
} finally {
  await cleanUp();
}

const mb = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : '–');
const date = new Date().toISOString();
const failures = result.errors + result.non2xx + result.badStreams;
const growth = [...samples].map(([name, list]) => ({
  name,
  list,
  ...soakReport.rssGrowth(list, loadSeconds),
}));
const flat = growth.every((entry) => entry.ratio <= 1.1);
const lines = [
  `# Soak — ${customersCount} customers, ${minutes} min, PostgreSQL + Redis + API + ${workerCount} workers (${date.slice(0, 10)})`,
  '',
  `Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ${date}; ` +
    `load average during the run ${Math.min(...loadAverages).toFixed(1)}–${Math.max(...loadAverages).toFixed(1)}.`,
  `Load: ${customersCount} customers (${verifiedCount} verified), each waiting ${thinkMs / 1000} s (±50%) after a reply; ` +
    `new messages for ${minutes} min; RSS of every process every ${sampleSeconds} s.`,
  '',
  '| turns | turns/s | p50 ms | p95 ms | p99 ms | max ms | errors | non-2xx | timeouts | bad streams |',
  '|---|---|---|---|---|---|---|---|---|---|',
  `| ${result.turns} | ${result.turnsPerSecond.toFixed(1)} | ${result.latencyMs.p50.toFixed(0)} | **${result.latencyMs.p95.toFixed(0)}** | ${result.latencyMs.p99.toFixed(0)} | ${result.latencyMs.max.toFixed(0)} | ${result.errors} | ${result.non2xx} | ${result.timeouts} | ${result.badStreams} |`,
  '',
  '| process | RSS at start MB | median min 2–3 MB | median last minute MB | max MB | last / min 2–3 |',
  '|---|---|---|---|---|---|',
  ...growth.map(
    ({ name, list, warmMedian, lastMedian, ratio }) =>
      `| ${name} | ${mb(list[0]?.bytes ?? Number.NaN)} | ${mb(warmMedian)} | ${mb(lastMedian)} | ${mb(Math.max(...list.map((s) => s.bytes)))} | **${Number.isFinite(ratio) ? ratio.toFixed(3) : '–'}** |`,
  ),
  '',
  '| minute | replies | failed | p50 ms | p95 ms |',
  '|---|---|---|---|---|',
  ...soakReport
    .perMinute(responses)
    .map(
      (row) =>
        `| ${row.minute} | ${row.turns} | ${row.failed} | ${row.p50.toFixed(0)} | ${row.p95.toFixed(0)} |`,
    ),
  '',
  `RSS samples (MB, every ${sampleSeconds} s): ` +
    growth.map(({ name, list }) => `${name}: ${list.map((s) => mb(s.bytes)).join(' ')}`).join('; '),
  '',
  ...[...gone].map(
    ([name, atSeconds]) => `**${name} exited during the load, at ${atSeconds.toFixed(0)} s.**`,
  ),
  `Target: 0 errors (${failures === 0 ? 'met' : `MISSED, ${failures}`}), RSS flat within 10% after warm-up (${flat ? 'met' : 'MISSED'}); ` +
    `final data-status ${Object.entries(result.statuses)
      .map(([status, count]) => `${status} ${count}`)
      .join(', ')}; ${result.escalations} escalations.`,
];
console.log(lines.join('\n'));
await mkdir(path.join(projectRoot, 'bench/out'), { recursive: true });
await writeFile(path.join(projectRoot, `bench/out/soak-${date.slice(0, 10)}.md`), `${lines.join('\n')}\n`);
