import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A worker process started by a test. */
export interface SpawnedWorker {
  /** The pid of the node process that runs the jobs (SIGKILL hits the worker itself, no wrapper). */
  pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when its output matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs it if it is still running (for afterEach/afterAll). */
  dispose(): Promise<void>;
}

export interface SpawnWorkerOptions {
  /** The entry point, relative to the repository root (e.g. `app/worker-main.ts`). */
  script: string;
  args?: string[];
  /** The child's whole environment: nothing is inherited, so tests say exactly what a worker gets. */
  env?: Record<string, string>;
  /** Output that means the worker is taking jobs. Default: /worker ready/. */
  readyPattern?: RegExp;
  readyTimeoutMs?: number;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Starts a TypeScript entry point in its own node process (tsx as a loader, so the pid is the worker
 * itself) and waits until it says it is ready. Used by the worker tests (load sharing, SIGKILL
 * mid-job) and reusable for any multi-process test.
 */
export async function spawnWorker(options: SpawnWorkerOptions): Promise<SpawnedWorker> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', tsxLoader, path.join(root, options.script), ...(options.args ?? [])],
    { cwd: root, env: options.env ?? {}, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const waiters = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const check of waiters) check();
      resolve({ code, signal });
    }),
  );

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output)) {
          done();
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`worker exited before printing ${pattern}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const worker: SpawnedWorker = {
    pid: child.pid!,
    output: () => output,
    waitForOutput,
    kill: (signal) => child.kill(signal),
    exited,
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  try {
    await waitForOutput(options.readyPattern ?? /worker ready/, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await worker.dispose();
    throw error;
  }
  return worker;
}
