import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npm run chaos`: Switchboard on PostgreSQL + Redis with the API and two workers, driven by customer
 * conversations over the real HTTP API while workers are SIGKILLed, Redis is restarted empty,
 * PostgreSQL connections are terminated and billing is taken down — then the invariants are checked in
 * the database and the outbox (docs/reliability.md). Exits 1 on any violation.
 */
const command = {
  command: 'npm run chaos',
  summary:
    'The chaos suite (docs/reliability.md): starts Switchboard on the local PostgreSQL (database dropped\n' +
    'and created again) and a Redis server of its own, the API and two workers, and drives customer\n' +
    'conversations over the HTTP API (refunds of duplicate charges, invoice copies, callback bookings,\n' +
    'help-center questions, hand-offs) while it SIGKILLs workers, restarts Redis, terminates PostgreSQL\n' +
    'connections and takes billing down. Then it checks in the database and the outbox: no lost message,\n' +
    'no duplicate write or email, every conversation at its right end. Prints a report; exits 1 on any\n' +
    'violation. Loopback only; bounded by --timeout-minutes.',
  options: {
    conversations: { type: 'string', value: '<n>', default: '200', description: 'customer conversations' },
    short: {
      type: 'boolean',
      default: false,
      description: 'the CI run: 40 conversations (overrides --conversations), under 3 minutes',
    },
    seed: {
      type: 'string',
      value: '<n>',
      default: '1',
      description: 'seed of the conversation mix and timing',
    },
    concurrency: { type: 'string', value: '<n>', default: '8', description: 'customers talking at once' },
    'database-url': {
      type: 'string',
      value: '<url>',
      default: 'postgres://postgres@127.0.0.1:5432/switchboard_chaos',
      description: 'the chaos database (DROPPED and created again; pgvector must be installed)',
    },
    'redis-port': {
      type: 'string',
      value: '<port>',
      default: '6390',
      description: 'port of the redis-server the run starts, restarts and stops (never a shared one)',
    },
    'timeout-minutes': {
      type: 'string',
      value: '<m>',
      default: '20',
      description: 'the whole run is stopped (and fails) after this long',
    },
  },
  examples: ['npm run chaos', 'npm run chaos -- --short', 'npm run chaos -- --seed 7'],
} as const;
const { values } = parseCommandLine(command);
const total = values.short
  ? 40
  : numberOption(command, 'conversations', values.conversations, { min: 6, integer: true });
const seed = numberOption(command, 'seed', values.seed, { min: 0, integer: true });
const concurrency = numberOption(command, 'concurrency', values.concurrency, { min: 1, integer: true });
const redisPort = numberOption(command, 'redis-port', values['redis-port'], { min: 1, integer: true });
const timeoutMinutes = numberOption(command, 'timeout-minutes', values['timeout-minutes'], { min: 1 });
const databaseUrl = values['database-url'];

// The application loads only once the command line is valid, so --help answers at once.
const [{ default: pg }, { openDatabase }, processes, targets, stack, customers, faults, invariants, report] =
  await Promise.all([
    import('pg'),
    import('../../db/database.ts'),
    import('../api/processes.ts'),
    import('../api/targets.ts'),
    import('./stack.ts'),
    import('./customers.ts'),
    import('./faults.ts'),
    import('./invariants.ts'),
    import('./report.ts'),
  ]);

const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
const startedAt = performance.now();
const runDeadline = Date.now() + timeoutMinutes * 60_000;
const random = customers.seededRandom(seed);
const secrets = targets.runSecrets();
const workDir = await mkdtemp(path.join(tmpdir(), 'sb-chaos-'));
const redis = new stack.ChaosRedis(redisPort);
let harness: InstanceType<typeof pg.Pool> | null = null;

const cleanUp = async () => {
  await processes.stopAllChildren();
  await redis.stop();
  await harness?.end().catch(() => {});
  harness = null;
  await rm(workDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
// The run is bounded: whatever hangs, the processes it started are stopped and the run fails.
const watchdog = setTimeout(
  () => {
    log(`the run exceeded ${timeoutMinutes} minutes; stopping`);
    void cleanUp().finally(() => process.exit(1));
  },
  timeoutMinutes * 60_000 + 60_000,
);
watchdog.unref();

let exitCode = 1;
try {
  log(
    `database ${new URL(databaseUrl).pathname.slice(1)}: drop, create, migrate, seed, index the help center`,
  );
  await stack.recreateDatabase(databaseUrl);
  const seeding = await openDatabase({ url: databaseUrl, maxConnections: 4 });
  await targets.seedAndIndex(seeding);
  await seeding.close();
  harness = new pg.Pool({
    connectionString: databaseUrl,
    max: 6,
    application_name: 'switchboard-chaos-harness',
  });
  // A terminated harness connection (it is spared, but PostgreSQL may still drop it) must not crash the run.
  harness.on('error', () => {});
  const pool = harness;

  const counts = customers.kindCounts(total);
  const contacts = await (await import('./world.ts')).prepareContacts(pool, {
    refunds: counts.refund + counts.outage_refund,
    others: counts.invoice_copy + counts.callback + counts.human_request,
  });
  const plans = customers.planConversations(counts, contacts, random);
  const runStartedAt = new Date();

  await redis.start();
  const settings = {
    databaseUrl,
    redisUrl: redis.url,
    dataDir: path.join(workDir, 'data'),
    masterKey: secrets.masterKey,
    identitySecret: secrets.identitySecret,
  };
  await mkdir(settings.dataDir, { recursive: true });
  log('starting two workers and the API');
  const workers = await Promise.all([
    stack.startWorker(settings, 'worker 1'),
    stack.startWorker(settings, 'worker 2'),
  ]);
  const api = await stack.startApi(settings);
  const admin = await stack.signInFaultAdmin(pool, api.url);
  const tokens = new Map<string, string>();
  const identityToken = async (contact: { email: string }) => {
    let token = tokens.get(contact.email);
    if (!token) {
      [token] = await targets.identityTokens(secrets.identitySecret, [contact.email]);
      tokens.set(contact.email, token!);
    }
    return token!;
  };
  const driver = { apiUrl: api.url, pool, identityToken, deadline: runDeadline - 90_000 };

  const outagePlans = plans.filter((plan) => plan.kind === 'outage_refund');
  const loadPlans = plans.filter((plan) => plan.kind !== 'outage_refund');
  const records: Awaited<ReturnType<typeof customers.driveConversation>>[] = [];
  // Short windows (3 conversations each), so most refunds run with billing up and the faults keep cycling.
  const outageBatch = 3;
  let loadRunning = true;
  log(
    `${plans.length} conversations (${Object.entries(counts)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ')}), ${concurrency} at once, seed ${seed}`,
  );
  const loadStarted = performance.now();
  const controller = faults.runFaultController(
    {
      pool,
      databaseName: new URL(databaseUrl).pathname.slice(1),
      redis,
      workers,
      restartWorker: (index) => stack.startWorker(settings, `worker ${index + 1}`),
      admin,
      async runOutageBatch() {
        const batch = outagePlans.splice(0, outageBatch);
        records.push(...(await Promise.all(batch.map((plan) => customers.driveConversation(plan, driver)))));
        return batch.length;
      },
      outageLeft: () => outagePlans.length,
      log,
      random,
    },
    () => loadRunning,
  );
  const load = (async () => {
    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < loadPlans.length) {
          const plan = loadPlans[next++]!;
          records.push(await customers.driveConversation(plan, driver));
          done += 1;
          if (done % 20 === 0) log(`${done}/${loadPlans.length} load conversations done`);
        }
      }),
    );
    loadRunning = false;
  })();
  await load;
  const { injected, crashes } = await controller;
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  log('draining: waiting for turns and emails to settle');
  const drainStarted = performance.now();
  const drained = await drain(pool, Math.min(120_000, runDeadline - Date.now()));
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  await processes.stopAllChildren();

  const result = await invariants.checkInvariants(
    pool,
    records.sort((a, b) => a.plan.index - b.plan.index),
    path.join(settings.dataDir, 'outbox'),
    runStartedAt,
  );
  for (const crash of crashes) result.violations.push(crash);
  if (!drained)
    result.violations.push('the drain did not settle in time (turns or emails still in progress)');
  const wallSeconds = (performance.now() - startedAt) / 1000;
  console.log(
    report
      .chaosReport({
        date: new Date().toISOString(),
        machine: `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
        seed,
        concurrency,
        records,
        injected,
        result,
        seconds: { wall: wallSeconds, load: loadSeconds, drain: drainSeconds },
      })
      .join('\n'),
  );
  exitCode = result.violations.length === 0 ? 0 : 1;
} catch (error) {
  log(`the run failed: ${(error as Error).stack ?? error}`);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);

/** Waits until no turn is pending or running and no email is queued or being sent (max `maxMs`). */
async function drain(pool: InstanceType<typeof pg.Pool>, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const { rows } = await pool
      .query<{ turns: number; emails: number }>(
        `SELECT (SELECT count(*)::int FROM messages WHERE turn_status IN ('pending','running')) AS turns,
                (SELECT count(*)::int FROM email_outbox WHERE status IN ('queued','sending')) AS emails`,
      )
      .catch(() => ({ rows: [{ turns: -1, emails: -1 }] }));
    if (rows[0]!.turns === 0 && rows[0]!.emails === 0) return true;
    await sleep(1_000);
  }
  return false;
}
