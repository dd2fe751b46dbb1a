import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';
import type { BenchCustomer, LoadResult } from './customer-load.ts';
import type { BenchChild } from './processes.ts';
import type { TargetReport } from './report.ts';

/**
 * `npm run bench:api [-- --customers=50 --verified=10 --messages=4 --think-ms=15000 --paced-seconds=40
 * --hello-seconds=10 --postgres=postgres://postgres@127.0.0.1:5432/postgres --redis=redis://127.0.0.1:6379
 * --embedded-only]`: customers messaging their conversations through the real HTTP API, on three
 * targets back to back: a plain Fastify hello-world (the ceiling), the embedded default (one process,
 * PGlite, jobs in process), and the production shape (PostgreSQL + Redis + the API + ONE worker).
 * Each conversation target gets two loads: every customer sending its next message as soon as the
 * reply ends (autocannon, saturation), then customers with a think time (latency at a real pace).
 * Writes bench/out/api-<date>.md (see docs/api-benchmark.md). Target: 0 errors, p95 < 250 ms per turn.
 */
const command = {
  command: 'npm run bench:api',
  summary:
    'Customers messaging their own conversations through the real HTTP API, on three targets back to\n' +
    'back: a Fastify hello-world (the ceiling), the embedded default (one process, PGlite, jobs in\n' +
    'process) and the production shape (PostgreSQL + Redis + the API + one worker). Each conversation\n' +
    'target gets a saturation load (no think time) and a paced one. Takes ~4 minutes; prints a report\n' +
    'and writes bench/out/api-<date>.md (docs/api-benchmark.md). Target: 0 errors, p95 < 250 ms per turn.',
  options: {
    customers: { type: 'string', value: '<n>', default: '50', description: 'concurrent customers' },
    verified: {
      type: 'string',
      value: '<n>',
      default: '10',
      description: 'how many of them are verified (identity token); the rest are anonymous',
    },
    messages: {
      type: 'string',
      value: '<n>',
      default: '4',
      description: 'messages per customer in the saturation load',
    },
    'think-ms': {
      type: 'string',
      value: '<ms>',
      default: '15000',
      description: 'mean think time between a reply and the next message in the paced load (±50%)',
    },
    'paced-seconds': {
      type: 'string',
      value: '<s>',
      default: '40',
      description: 'how long the paced load sends new messages',
    },
    'hello-seconds': {
      type: 'string',
      value: '<s>',
      default: '10',
      description: 'duration of the hello-world ceiling load',
    },
    postgres: {
      type: 'string',
      value: '<url>',
      default: 'postgres://postgres@127.0.0.1:5432/postgres',
      description: 'PostgreSQL server for the production shape (a scratch database is created and dropped)',
    },
    redis: {
      type: 'string',
      value: '<url>',
      default: 'redis://127.0.0.1:6379',
      description: 'Redis for the production shape (a free database number is used and flushed)',
    },
    'embedded-only': {
      type: 'boolean',
      default: false,
      description: 'skip the production shape (no PostgreSQL or Redis needed)',
    },
    'cpu-prof': {
      type: 'string',
      value: '<dir>',
      description:
        'write a V8 CPU profile of every API and worker process into <dir> (node --cpu-prof; open in Chrome DevTools); profiling slows turns, so read shares, not figures',
    },
  },
  examples: ['npm run bench:api', 'npm run bench:api -- --embedded-only --customers=20 --paced-seconds=20'],
} as const;
const { values } = parseCommandLine(command);
const whole = (name: keyof typeof values, min: number) =>
  numberOption(command, name, String(values[name]), { min, integer: true });
const customersCount = whole('customers', 1);
const verifiedCount = whole('verified', 0);
const messagesPerCustomer = whole('messages', 1);
const helloSeconds = whole('hello-seconds', 1);
const thinkMs = whole('think-ms', 0);
const pacedSeconds = whole('paced-seconds', 1);
const postgresAdminUrl = values.postgres;
const redisBaseUrl = values.redis;
const embeddedOnly = values['embedded-only'];
const cpuProfileDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined;
/** Node options of the API and worker children: a CPU profile each, written when they exit. */
const profileOptions = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];

// The bench's modules load only once the command line is valid, so --help answers at once.
const [{ openDatabase }, load, processes, report, targets] = await Promise.all([
  import('../../db/database.ts'),
  import('./customer-load.ts'),
  import('./processes.ts'),
  import('./report.ts'),
  import('./targets.ts'),
]);
const { createConversations, runConversationLoad, runHelloLoad, runPacedLoad, sendOneMessage } = load;
const { cpuSeconds, createRunScope, machineBusySeconds, projectRoot, rssBytes, startChild, waitUntilIdle } =
  processes;
const { cpuTable, positionTable, resultsTable, streamTable } = report;
const {
  backendPids,
  claimRedisDatabase,
  createBenchDatabase,
  customerEmails,
  identityTokens,
  runSecrets,
  seedAndIndex,
} = targets;
/** The turn stream waits up to 60 s for the worker; autocannon must wait at least as long. */
const requestTimeoutSeconds = 90;

const secrets = runSecrets();
const { workDir, onCleanUp, cleanUp } = await createRunScope('sb-bench-');

/** Settings both API targets share: the bench's rate limits and the run's secrets. */
const apiSettings = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'warn',
  IDENTITY_JWT_SECRET: secrets.identitySecret,
  MASTER_KEY: secrets.masterKey,
  // 50 customers on one IP, each sending far more than 30 messages a minute: the limits would measure 429s.
  RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_MESSAGES_PER_CONVERSATION_PER_MINUTE: '100000',
};
const log = (line: string) => process.stderr.write(`[bench:api] ${line}\n`);

async function startApi(
  name: string,
  env: Record<string, string>,
): Promise<{ child: BenchChild; url: string }> {
  const { child, match } = await startChild(
    name,
    'app/server-main.ts',
    { ...apiSettings, ...env },
    /listening on (http:\/\/\S+)/,
    undefined,
    profileOptions,
  );
  const url = match[1]!;
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${url}/readyz`).catch(() => null);
    if (ready?.status === 200) break;
    if (attempt > 100) throw new Error(`${name}: /readyz never answered 200`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, url };
}

/** One message of each kind before measuring: loads the intent model and the knowledge path in every process. */
async function warmUp(url: string, tokens: string[], pids: number[]): Promise<string> {
  const started = await createConversations(url, 2, tokens.slice(0, 1));
  const verified = started[0]!;
  const anonymous = started[1]!;
  const firstMs = await sendOneMessage(url, anonymous, 'What are your API rate limits? (warm-up)');
  for (const text of [
    'Can you tell me about your pricing plans? (warm-up)',
    'How do I set up SAML SSO? (warm-up)',
    'thanks!',
  ])
    await sendOneMessage(url, anonymous, text);
  await sendOneMessage(url, verified, "What's the status of my support ticket? (warm-up)");
  const idleMs = await waitUntilIdle(pids);
  return `first (cold) turn ${(firstMs / 1000).toFixed(1)} s; processes idle ${(idleMs / 1000).toFixed(1)} s after warm-up`;
}

/** Runs `work` and reports the CPU seconds `groups` of processes and the whole machine used meanwhile. */
async function measured(
  groups: Array<[string, () => Promise<number[]>]>,
  work: () => Promise<LoadResult>,
): Promise<Pick<TargetReport, 'load' | 'cpu' | 'rss' | 'machineBusySeconds'>> {
  const sum = async (pids: number[], baseline?: Map<number, number>) => {
    let total = 0;
    for (const pid of pids) total += ((await cpuSeconds(pid)) ?? 0) - (baseline?.get(pid) ?? 0);
    return total;
  };
  const before = new Map<string, Map<number, number>>();
  for (const [name, pidsOf] of groups) {
    const pids = await pidsOf();
    before.set(
      name,
      new Map(await Promise.all(pids.map(async (pid) => [pid, (await cpuSeconds(pid)) ?? 0] as const))),
    );
  }
  const benchBefore = process.cpuUsage();
  const machineBefore = await machineBusySeconds();
  const load = await work();
  const machineAfter = await machineBusySeconds();
  const bench = process.cpuUsage(benchBefore);
  const cpu: Array<[string, number]> = [];
  for (const [name, pidsOf] of groups) cpu.push([name, await sum(await pidsOf(), before.get(name))]);
  cpu.push(['bench (autocannon)', (bench.user + bench.system) / 1e6]);
  const rss: Array<[string, number]> = [];
  for (const [name, pidsOf] of groups) {
    let bytes = 0;
    for (const pid of await pidsOf()) bytes += (await rssBytes(pid)) ?? 0;
    rss.push([name, bytes]);
  }
  return {
    load,
    cpu,
    rss,
    machineBusySeconds: machineBefore === null || machineAfter === null ? null : machineAfter - machineBefore,
  };
}

const reports: TargetReport[] = [];
/**
 * When each load ran, on the monotonic clock V8's CPU profiles use (µs): bench/api/profile-report.ts
 * reads only these windows of a `--cpu-prof` profile, not the start-up and warm-up around them.
 */
const loadWindows: Array<{ name: string; startUs: number; endUs: number }> = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
async function inWindow<T>(name: string, work: () => Promise<T>): Promise<T> {
  const startUs = monotonicUs();
  try {
    return await work();
  } finally {
    loadWindows.push({ name, startUs, endUs: monotonicUs() });
  }
}
/** Both loads on one running target: saturation (autocannon, no think time), then paced customers. */
async function measureConversations(
  name: string,
  url: string,
  customers: BenchCustomer[],
  groups: Array<[string, () => Promise<number[]>]>,
  pids: number[],
  notes: string[],
): Promise<void> {
  let loadAverage = loadavg()[0]!;
  const saturated = await measured(groups, () =>
    inWindow(`${name} — no think time`, () =>
      runConversationLoad(url, customers, { messagesPerCustomer, timeoutSeconds: requestTimeoutSeconds }),
    ),
  );
  reports.push({ name: `${name} — no think time`, ...saturated, loadAverage, notes });
  await waitUntilIdle(pids);
  loadAverage = loadavg()[0]!;
  const paced = await measured(groups, () =>
    inWindow(`${name} — ${thinkMs / 1000} s think time`, () =>
      runPacedLoad(url, customers, { thinkMs, seconds: pacedSeconds, timeoutSeconds: requestTimeoutSeconds }),
    ),
  );
  reports.push({ name: `${name} — ${thinkMs / 1000} s think time`, ...paced, loadAverage, notes: [] });
}

if (cpuProfileDir) await mkdir(cpuProfileDir, { recursive: true });
try {
  // Data first (outside any measurement): the demo world and help center, as a previous start left them.
  log(`seeding the embedded data dir under ${workDir}`);
  const embeddedDir = path.join(workDir, 'embedded');
  const embeddedDatabase = await openDatabase({ dataDir: embeddedDir });
  const embeddedSetup = await seedAndIndex(embeddedDatabase);
  const emails = await customerEmails(embeddedDatabase, verifiedCount);
  await embeddedDatabase.close();
  const tokens = await identityTokens(secrets.identitySecret, emails);

  log('ceiling: Fastify hello-world');
  {
    const { child, match } = await startChild(
      'hello',
      'bench/api/hello-server.ts',
      {},
      /listening on (http:\/\/\S+)/,
    );
    const loadAverage = loadavg()[0]!;
    const result = await measured([['hello server', async () => [child.pid]]], () =>
      runHelloLoad(match[1]!, customersCount, helloSeconds),
    );
    await child.stop();
    reports.push({ name: 'Fastify hello-world (ceiling)', ...result, loadAverage, notes: [] });
  }

  log('embedded: one API process, PGlite, jobs in process');
  {
    const { child, url } = await startApi('api (embedded)', { DATA_DIR: embeddedDir });
    const warm = await warmUp(url, tokens, [child.pid]);
    const customers = await createConversations(url, customersCount, tokens);
    await measureConversations(
      'embedded',
      url,
      customers,
      [['api', async () => [child.pid]]],
      [child.pid],
      [
        `seed ${(embeddedSetup.seedMs / 1000).toFixed(1)} s, index help center ${(embeddedSetup.indexMs / 1000).toFixed(1)} s (before start)`,
        warm,
      ],
    );
    await child.stop();
  }

  if (!embeddedOnly) {
    while (!existsSync(path.join(projectRoot, 'app/worker-main.ts'))) {
      log('waiting for app/worker-main.ts to exist');
      await new Promise((resolve) => setTimeout(resolve, 30_000));
    }
    log('production shape: PostgreSQL + Redis + API + one worker');
    const postgres = await createBenchDatabase(postgresAdminUrl);
    onCleanUp(() => postgres.drop());
    const redis = await claimRedisDatabase(redisBaseUrl);
    onCleanUp(() => redis.flush());
    const database = await openDatabase({ url: postgres.url });
    const setup = await seedAndIndex(database);
    await database.close();
    const shared = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      DATA_DIR: path.join(workDir, 'production'),
      LOG_LEVEL: 'warn',
      MASTER_KEY: secrets.masterKey,
    };
    await mkdir(shared.DATA_DIR, { recursive: true });
    const { child: worker } = await startChild(
      'worker',
      'app/worker-main.ts',
      { ...shared, WORKER_CONCURRENCY: '2', WORKER_SHUTDOWN_GRACE_MS: '2000' },
      /worker ready/,
      undefined,
      profileOptions,
    );
    const { child: api, url } = await startApi('api (production)', shared);
    const warm = await warmUp(url, tokens, [api.pid, worker.pid]);
    const customers = await createConversations(url, customersCount, tokens);
    await measureConversations(
      'PostgreSQL + Redis + 1 worker',
      url,
      customers,
      [
        ['api', async () => [api.pid]],
        ['worker', async () => [worker.pid]],
        ['postgres backends', () => backendPids(postgresAdminUrl, postgres.url)],
      ],
      [api.pid, worker.pid],
      [
        `seed ${(setup.seedMs / 1000).toFixed(1)} s, index help center ${(setup.indexMs / 1000).toFixed(1)} s`,
        warm,
      ],
    );
    await Promise.all([api.stop(), worker.stop()]);
  }
} finally {
  await cleanUp();
  if (cpuProfileDir)
    await writeFile(path.join(cpuProfileDir, 'loads.json'), JSON.stringify(loadWindows, null, 2));
}

const cores = availableParallelism();
const date = new Date().toISOString();
const lines = [
  `# API benchmark — ${customersCount} concurrent customers (${date.slice(0, 10)})`,
  '',
  `Machine: ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ${date}.`,
  `Load: ${customersCount} connections; each conversation connection is one customer (${verifiedCount} verified with an identity token, ` +
    `${customersCount - verifiedCount} anonymous) sending ${messagesPerCustomer} messages to its own conversation, the next when the reply has ` +
    `finished streaming ("no think time"); then the same customers each waiting ${thinkMs / 1000} s (±50%) after a reply, ` +
    `new messages for ${pacedSeconds} s ("think time"). The ceiling: GET / for ${helloSeconds} s. Rate limits raised for the bench.`,
  '',
  ...resultsTable(reports),
  '',
  ...cpuTable(reports, cores),
  '',
  ...streamTable(reports),
  '',
  ...positionTable(reports),
  '',
  ...reports.flatMap((report) => report.notes.map((note) => `- ${report.name}: ${note}`)),
  '',
  ...reports
    .filter((report) => report.load.turns || report.load.badStreams)
    .map((report) => {
      const failures = report.load.errors + report.load.non2xx + report.load.badStreams;
      const met = failures === 0 && report.load.latencyMs.p95 < 250;
      return `Target (0 errors, p95 < 250 ms), ${report.name}: ${met ? 'met' : 'MISSED'} — ${failures} failed, p95 ${report.load.latencyMs.p95.toFixed(0)} ms.`;
    }),
];
console.log(lines.join('\n'));
await mkdir(path.join(projectRoot, 'bench/out'), { recursive: true });
await writeFile(path.join(projectRoot, `bench/out/api-${date.slice(0, 10)}.md`), `${lines.join('\n')}\n`);
