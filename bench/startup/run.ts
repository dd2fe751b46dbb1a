import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, homedir, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npm run bench:startup [-- --runs 3]`: how long `npm start`'s entry (`tsx app/server-main.ts`, the
 * embedded default) takes from spawn to `/readyz` 200 and to a customer's first chat reply, on a cold
 * start (a fresh DATA_DIR: migrations, demo seed, then the help center indexed in the background) and
 * a warm start (the DATA_DIR the cold start left). Medians over N runs; JSON in bench/out/.
 */
const command = {
  command: 'npm run bench:startup',
  summary:
    "Measures the start-up of `npm start`'s entry (tsx app/server-main.ts, embedded PGlite) from spawn\n" +
    'to /readyz 200 and to the first chat reply of a verified demo customer (identity token, new\n' +
    'conversation, one question, the streamed reply read to its end): a cold start on a fresh DATA_DIR\n' +
    '(migrations, demo seed, help center indexed in the background), then a warm start on the DATA_DIR\n' +
    'it left, N times each. Prints medians and writes bench/out/startup-<time>.json (docs/startup.md).\n' +
    'Excludes npm itself and the prestart UI check. A few minutes; uses temp directories only.',
  options: {
    runs: { type: 'string', value: '<n>', default: '3', description: 'cold + warm start pairs' },
    email: {
      type: 'string',
      value: '<email>',
      default: 'maya.chen@brightpath.io',
      description: 'the demo customer who asks',
    },
    question: {
      type: 'string',
      value: '<text>',
      default: 'What are your API rate limits?',
      description: 'the first chat message',
    },
    'timeout-seconds': {
      type: 'string',
      value: '<s>',
      default: '300',
      description: 'give up on a start after this long',
    },
  },
  examples: ['npm run bench:startup', 'npm run bench:startup -- --runs 5 --question "I was charged twice"'],
} as const;
const { values } = parseCommandLine(command);
const runs = numberOption(command, 'runs', values.runs, { min: 1, integer: true });
const timeoutMs = numberOption(command, 'timeout-seconds', values['timeout-seconds'], { min: 1 }) * 1000;

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The tsx command line interface, as `npm start` runs it. */
const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
const log = (line: string) => process.stderr.write(`[bench:startup] ${line}\n`);

/** One start, every time in ms from spawn. */
interface StartMeasurement {
  kind: 'cold' | 'warm';
  run: number;
  /** The "listening on" line (the server's own figure in brackets). */
  listeningMs: number;
  serverReportedReadySeconds: number | null;
  readyzMs: number;
  /** The first reply read to its end. */
  firstReplyMs: number;
  /** From sending the message to the end of its reply (waits for the intent model when it is still loading). */
  firstTurnMs: number;
  firstReplyStatus: string | null;
  firstReplyText: string;
  /** Cold starts: the "demo help center indexed" log line (background, after listening). */
  helpCenterIndexedMs: number | null;
}

/** A running server: its output so far, a wait for a line, a stop. */
interface ServerProcess {
  child: ChildProcess;
  startedAt: number;
  waitFor(pattern: RegExp): Promise<{ match: RegExpMatchArray; atMs: number }>;
  stop(): Promise<void>;
}

/** Every server still running is killed with the bench, whatever ends it. */
const groups = new Set<(signal: NodeJS.Signals) => void>();
process.once('exit', () => {
  for (const killGroup of groups) killGroup('SIGKILL');
});

function startServer(dataDir: string): ServerProcess {
  const startedAt = performance.now();
  // Only what the server needs: a DATABASE_URL or REDIS_URL in the shell must not change the target.
  const child = spawn(process.execPath, [tsxCli, 'app/server-main.ts'], {
    cwd: projectRoot,
    env: {
      HOME: homedir(),
      TMPDIR: tmpdir(),
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: tsx's child is stopped with it, whatever happens to the bench.
    detached: true,
  });
  let output = '';
  const waiters: Array<() => void> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onData = (data: Buffer) => {
    output += data.toString();
    for (const waiter of waiters.splice(0)) waiter();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  groups.add(killGroup);
  void exited.then(() => groups.delete(killGroup));
  return {
    child,
    startedAt,
    async waitFor(pattern) {
      const deadline = startedAt + timeoutMs;
      for (;;) {
        const match = output.match(pattern);
        if (match) return { match, atMs: performance.now() - startedAt };
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`the server exited before ${pattern}:\n${output.slice(-2000)}`);
        if (performance.now() > deadline)
          throw new Error(`no ${pattern} after ${timeoutMs / 1000} s:\n${output.slice(-2000)}`);
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), sleep(200), exited]);
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM: tsx relays it, the server closes the database cleanly (the warm start reuses it).
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      killGroup('SIGKILL');
    },
  };
}

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The demo's first chat: identity token, a new conversation, one message, the streamed reply to its end. */
async function firstChat(baseUrl: string): Promise<{ status: string | null; text: string; turnMs: number }> {
  const { identityToken } = await json<{ identityToken: string }>(
    await fetch(`${baseUrl}/api/demo/identity-token?email=${encodeURIComponent(values.email)}`),
    'GET /api/demo/identity-token',
  );
  const conversation = await json<{ conversationId: string; accessToken: string }>(
    await fetch(`${baseUrl}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identityToken }),
    }),
    'POST /api/conversations',
  );
  const sentAt = performance.now();
  const response = await fetch(`${baseUrl}/api/conversations/${conversation.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conversation.accessToken}` },
    body: JSON.stringify({ text: values.question }),
  });
  const body = await response.text();
  const turnMs = performance.now() - sentAt;
  if (response.status !== 200) throw new Error(`POST …/messages: ${response.status} ${body.slice(0, 500)}`);
  const chunks = body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .flatMap((line) => {
      try {
        return [JSON.parse(line.slice(6)) as { type?: string; delta?: string; data?: { status?: string } }];
      } catch {
        return [];
      }
    });
  const text = chunks
    .filter((chunk) => chunk.type === 'text-delta')
    .map((chunk) => chunk.delta ?? '')
    .join('');
  const last = chunks.at(-1);
  const status = last?.type === 'data-status' ? (last.data?.status ?? null) : null;
  if (!text) throw new Error(`the first reply had no text: ${body.slice(0, 500)}`);
  return { status, text, turnMs };
}

async function measureStart(kind: 'cold' | 'warm', run: number, dataDir: string): Promise<StartMeasurement> {
  const server = startServer(dataDir);
  try {
    const listening = await server.waitFor(/listening on (http:\/\/\S+) \(.*ready in ([\d.]+) s\)/);
    const baseUrl = listening.match[1]!;
    let readyzMs: number;
    for (;;) {
      const ready = await fetch(`${baseUrl}/readyz`).catch(() => null);
      if (ready?.status === 200) {
        readyzMs = performance.now() - server.startedAt;
        break;
      }
      if (performance.now() - server.startedAt > timeoutMs) throw new Error('/readyz never answered 200');
      await sleep(50);
    }
    const chat = await firstChat(baseUrl);
    const firstReplyMs = performance.now() - server.startedAt;
    // A cold start's DATA_DIR is the warm start's: let the background indexing finish first.
    const indexed =
      kind === 'cold' ? await server.waitFor(/"msg":"demo help center indexed"/).catch(() => null) : null;
    return {
      kind,
      run,
      listeningMs: listening.atMs,
      serverReportedReadySeconds: Number(listening.match[2]),
      readyzMs,
      firstReplyMs,
      firstTurnMs: chat.turnMs,
      firstReplyStatus: chat.status,
      firstReplyText: chat.text.slice(0, 200),
      helpCenterIndexedMs: indexed?.atMs ?? null,
    };
  } finally {
    await server.stop();
  }
}

const median = (numbers: number[]): number => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const measurements: StartMeasurement[] = [];
const loadAverages: number[] = [];
const workDir = await mkdtemp(path.join(tmpdir(), 'sb-startup-'));
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(
    signal,
    () => void rm(workDir, { recursive: true, force: true }).finally(() => process.exit(130)),
  );
try {
  for (let run = 1; run <= runs; run++) {
    const dataDir = path.join(workDir, `run-${run}`);
    for (const kind of ['cold', 'warm'] as const) {
      loadAverages.push(loadavg()[0]!);
      log(`run ${run}/${runs}: ${kind} start (DATA_DIR ${dataDir})`);
      const measured = await measureStart(kind, run, dataDir);
      measurements.push(measured);
      log(
        `  /readyz ${(measured.readyzMs / 1000).toFixed(1)} s, first reply ${(measured.firstReplyMs / 1000).toFixed(1)} s ` +
          `(turn ${(measured.firstTurnMs / 1000).toFixed(1)} s, ${measured.firstReplyStatus})` +
          (measured.helpCenterIndexedMs
            ? `, help center indexed ${(measured.helpCenterIndexedMs / 1000).toFixed(1)} s`
            : ''),
      );
    }
    await rm(dataDir, { recursive: true, force: true });
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const seconds = (ms: number | null) => (ms === null ? null : Number((ms / 1000).toFixed(2)));
const summary = (['cold', 'warm'] as const).map((kind) => {
  const of = measurements.filter((measurement) => measurement.kind === kind);
  const indexed = of.flatMap((measurement) => measurement.helpCenterIndexedMs ?? []);
  return {
    kind,
    runs: of.length,
    medianSeconds: {
      listening: seconds(median(of.map((measurement) => measurement.listeningMs))),
      serverReportedReady: Number(
        median(of.map((m) => m.serverReportedReadySeconds ?? Number.NaN)).toFixed(2),
      ),
      readyz: seconds(median(of.map((measurement) => measurement.readyzMs))),
      firstReply: seconds(median(of.map((measurement) => measurement.firstReplyMs))),
      firstTurn: seconds(median(of.map((measurement) => measurement.firstTurnMs))),
      helpCenterIndexed: indexed.length ? seconds(median(indexed)) : null,
    },
  };
});
const date = new Date().toISOString();
const result = {
  benchmark: 'startup',
  date,
  command: `npm run bench:startup -- --runs ${runs}`,
  machine: {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverageAtEachStart: loadAverages.map((value) => Number(value.toFixed(2))),
  },
  entry: 'tsx app/server-main.ts (PORT=0, LOG_FORMAT=json, embedded PGlite, a temp DATA_DIR)',
  question: values.question,
  customer: values.email,
  summary,
  measurements: measurements.map((measurement) => ({
    ...measurement,
    listeningMs: Math.round(measurement.listeningMs),
    readyzMs: Math.round(measurement.readyzMs),
    firstReplyMs: Math.round(measurement.firstReplyMs),
    firstTurnMs: Math.round(measurement.firstTurnMs),
    helpCenterIndexedMs: measurement.helpCenterIndexedMs && Math.round(measurement.helpCenterIndexedMs),
  })),
};

const lines = [
  `Start-up of tsx app/server-main.ts (embedded), median of ${runs} run(s), seconds from spawn — ${availableParallelism()} cores, Node ${process.version}, load average ${loadAverages.map((value) => value.toFixed(1)).join(' / ')}`,
  '',
  '| start | "listening" (server\'s own figure) | /readyz 200 | first chat reply | of which the turn | help center indexed |',
  '|---|---|---|---|---|---|',
  ...summary.map(
    ({ kind, medianSeconds: s }) =>
      `| ${kind} | ${s.listening} (${s.serverReportedReady}) | ${s.readyz} | ${s.firstReply} | ${s.firstTurn} | ${s.helpCenterIndexed ?? '–'} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
await mkdir(path.join(projectRoot, 'bench/out'), { recursive: true });
const file = path.join(projectRoot, `bench/out/startup-${date.replace(/[:.]/g, '-')}.json`);
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
log(`wrote ${path.relative(projectRoot, file)}`);
