import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from here so relative paths (`app/server-main.ts`) resolve. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A child process the bench started and will stop. */
export interface BenchChild {
  name: string;
  pid: number;
  /** Everything it printed so far (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

// Whatever happens to the bench (an exception, Ctrl-C), no server or worker outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs `script` (a TypeScript entry point) with `node --import tsx`, one process (no tsx wrapper
 * whose grandchild could outlive it), with ONLY `env` plus HOME/TMPDIR: a DATABASE_URL in the
 * developer's shell must not turn the embedded target into a PostgreSQL one. Resolves with the first
 * match of `ready` in its output; rejects if it exits or prints nothing matching within `timeoutMs`.
 */
export async function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 120_000,
  /** Extra Node options before the script, e.g. `--cpu-prof` (bench/api `--cpu-prof`). */
  nodeOptions: string[] = [],
): Promise<{ child: BenchChild; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', script], {
    cwd: projectRoot,
    env: { HOME: homedir(), TMPDIR: tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const handle: BenchChild = {
    name,
    pid: child.pid!,
    output: () => output,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} was not ready after ${timeoutMs} ms:\n${output.slice(-2000)}`));
    }, timeoutMs);
    const onData = (data: Buffer) => {
      output += data.toString();
      const found = output.match(ready);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready:\n${output.slice(-2000)}`));
    });
  });
  // Keep collecting (and draining the pipes, so the child never blocks on a full pipe).
  return { child: handle, match };
}

/** Stops every child still running (in parallel). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * One bench run's working directory and clean-up: `cleanUp` stops every child, runs the registered
 * clean-ups in reverse (dropping a database, flushing Redis) and removes the directory; an interrupt
 * (Ctrl-C, SIGTERM) cleans up too before exiting.
 */
export async function createRunScope(prefix: string): Promise<{
  workDir: string;
  onCleanUp(cleanup: () => Promise<void>): void;
  cleanUp(): Promise<void>;
}> {
  const workDir = await mkdtemp(path.join(tmpdir(), prefix));
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    await stopAllChildren();
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error) => console.error('cleanup:', error));
    cleanups.length = 0;
    await rm(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  return { workDir, onCleanUp: (cleanup) => cleanups.push(cleanup), cleanUp };
}

const clockTicks = 100;

/** CPU seconds (user + system) a process has used so far; null if it is gone or this is not Linux. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine spent busy (all cores), from /proc/stat; null off Linux. */
export async function machineBusySeconds(): Promise<number | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / clockTicks;
  } catch {
    return null;
  }
}

/**
 * Waits until the processes together use under `threshold` of one core for a whole second (a model
 * warming up, the help center index being checked), at most `maxMs`. Returns the ms waited.
 */
export async function waitUntilIdle(pids: number[], threshold = 0.1, maxMs = 30_000): Promise<number> {
  const started = performance.now();
  const total = async () => {
    let sum = 0;
    for (const pid of pids) sum += (await cpuSeconds(pid)) ?? 0;
    return sum;
  };
  let before = await total();
  while (performance.now() - started < maxMs) {
    await sleep(1_000);
    const after = await total();
    if (after - before < threshold) break;
    before = after;
  }
  return performance.now() - started;
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status); null if it is gone or off Linux. */
export async function rssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kilobytes = status.match(/^VmRSS:\s+(\d+)\s+kB$/m)?.[1];
    return kilobytes === undefined ? null : Number(kilobytes) * 1024;
  } catch {
    return null;
  }
}
