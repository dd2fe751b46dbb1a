import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npx tsx bench/api/turn-cpu.ts [-- --turns=300 --customers=10]`: the CPU one turn costs through the
 * real HTTP API of the embedded default, measured IN this process (server, agent, PGlite and the
 * customers share one thread, so process CPU / turns is the turn's cost, the customers' fetches
 * included), with the SQL statements each turn runs. The same customers and messages as
 * `npm run bench:api` (bench/api/customer-load.ts). Quick enough (~1 min) to try a change; bench:api
 * stays the measure of record. `--cpu-prof=<dir>` also writes a V8 CPU profile of the measured turns
 * for bench/api/profile-report.ts.
 */
const command = {
  command: 'npx tsx bench/api/turn-cpu.ts',
  summary:
    'CPU and SQL statements per turn through the HTTP API of the embedded default, in one process:\n' +
    'customers send their messages (as in bench:api) and the process CPU is divided by the turns.',
  options: {
    turns: { type: 'string', value: '<n>', default: '300', description: 'measured turns' },
    customers: {
      type: 'string',
      value: '<n>',
      default: '10',
      description: 'customers sending at once (each waits for its reply)',
    },
    verified: { type: 'string', value: '<n>', default: '2', description: 'verified customers among them' },
    'cpu-prof': { type: 'string', value: '<dir>', description: 'write a CPU profile of the measured turns' },
  },
  examples: [
    'npx tsx bench/api/turn-cpu.ts',
    'npx tsx bench/api/turn-cpu.ts --turns=200 --cpu-prof=/tmp/prof',
  ],
} as const;
const { values } = parseCommandLine(command);
const whole = (name: 'turns' | 'customers' | 'verified', min: number) =>
  numberOption(command, name, String(values[name]), { min, integer: true });
const targetTurns = whole('turns', 1);
const customerCount = whole('customers', 1);
const verifiedCount = whole('verified', 0);
const profileDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined;

const [{ openDatabase }, { createApiRuntime }, { createServer }, load, targets] = await Promise.all([
  import('../../db/database.ts'),
  import('../../app/runtime.ts'),
  import('../../api/server.ts'),
  import('./customer-load.ts'),
  import('./targets.ts'),
]);

const workDir = await mkdtemp(path.join(tmpdir(), 'sb-turn-cpu-'));
const secrets = targets.runSecrets();
const database = await openDatabase({ dataDir: 'memory://' });
await targets.seedAndIndex(database);
const tokens = await targets.identityTokens(
  secrets.identitySecret,
  await targets.customerEmails(database, verifiedCount),
);

// Every statement the pool's one PGlite connection runs, by its first words (counted while measuring).
const statements = new Map<string, number>();
let counting = false;
const client = await database.pool.connect();
const prototype = Object.getPrototypeOf(client) as { query: (...args: unknown[]) => unknown };
client.release();
const query = prototype.query;
prototype.query = function (this: unknown, ...args: unknown[]) {
  if (counting) {
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text ?? '');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    statements.set(key, (statements.get(key) ?? 0) + 1);
  }
  return query.apply(this, args);
};

// Texts that reach the sentence-embedding model (after the recent-text cache), while measuring.
let modelTexts = 0;
const { EmbeddingsModel } = await import('@energetic-ai/embeddings');
const modelEmbed = EmbeddingsModel.prototype.embed;
EmbeddingsModel.prototype.embed = function (this: InstanceType<typeof EmbeddingsModel>, inputs) {
  if (counting) modelTexts += typeof inputs === 'string' ? 1 : inputs.length;
  return modelEmbed.call(this, inputs as never);
} as typeof modelEmbed;

const runtime = await createApiRuntime({
  database,
  dataDir: workDir,
  mode: 'embedded',
  identity: { secret: secrets.identitySecret, maxLifetimeSeconds: 3600, demoSigning: false },
  settings: {
    rateLimit: { perIpPerMinute: 1_000_000, messagesPerConversationPerMinute: 100_000 },
  },
});
// As bench:api runs the server: LOG_LEVEL=warn (request logs built, then filtered), here to nowhere.
const app = await createServer(runtime.context, { logLevel: 'warn', logStream: { write: () => {} } });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
await runtime.ready();

const customers = await load.createConversations(url, customerCount, tokens);
// Warm-up outside the measurement: the intent model, every message kind once.
for (const [index, customer] of customers.entries())
  for (const text of load.messagesFor(customer, index))
    await load.sendOneMessage(url, customer, load.uniqueText(text, -index));

const profiler = new Session();
if (profileDir) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
  await profiler.post('Profiler.start');
}
counting = true;
let sequence = 0;
let turns = 0;
const cpuBefore = process.cpuUsage();
const started = performance.now();
await Promise.all(
  customers.map(async (customer, index) => {
    const rotation = load.messagesFor(customer, index);
    for (let step = 0; sequence < targetTurns; step++) {
      sequence += 1;
      await load.sendOneMessage(url, customer, load.uniqueText(rotation[step % rotation.length]!, sequence));
      turns += 1;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
counting = false;
if (profileDir) {
  const { profile } = await profiler.post('Profiler.stop');
  await mkdir(profileDir, { recursive: true });
  await writeFile(path.join(profileDir, 'turn-cpu.cpuprofile'), JSON.stringify(profile));
  await writeFile(
    path.join(profileDir, 'loads.json'),
    JSON.stringify([{ name: 'turn-cpu', startUs: profile.startTime, endUs: profile.endTime }]),
  );
}

const cpuMs = (cpu.user + cpu.system) / 1000;
const totalStatements = [...statements.values()].reduce((sum, count) => sum + count, 0);
console.log(
  [
    `# CPU per turn through the HTTP API, embedded, in process (${new Date().toISOString()}, Node ${process.version})`,
    '',
    `${turns} turns by ${customerCount} customers in ${seconds.toFixed(1)} s (${(turns / seconds).toFixed(1)} turns/s): ` +
      `**${(cpuMs / turns).toFixed(1)} ms CPU per turn** (user ${(cpu.user / 1000 / turns).toFixed(1)}, system ${(cpu.system / 1000 / turns).toFixed(1)}), ` +
      `${(totalStatements / turns).toFixed(1)} SQL statements and ${(modelTexts / turns).toFixed(2)} texts embedded by the model per turn.`,
    '',
    '| statement (first words) | per turn |',
    '|---|---|',
    ...[...statements]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([sql, count]) => `| \`${sql.replace(/\|/g, '\\|')}\` | ${(count / turns).toFixed(2)} |`),
  ].join('\n'),
);
await app.close();
await runtime.close();
await database.close();
await rm(workDir, { recursive: true, force: true });
