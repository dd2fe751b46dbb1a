import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { BenchChild } from '../api/processes.ts';
import type { ChaosRedis, FaultAdmin } from './stack.ts';
import { terminateBackends } from './stack.ts';

/** The faults the chaos injects, in the order it cycles through them. */
export const faultKinds = [
  'worker_sigkill',
  'redis_restart',
  'postgres_terminate',
  'connector_down',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** One injected fault, for the report. */
export interface InjectedFault {
  kind: FaultKind;
  at: string;
  /** Turns running when it hit (the point of "mid-turn"). */
  runningTurns: number;
  detail: string;
}

export interface FaultControllerOptions {
  pool: pg.Pool;
  databaseName: string;
  redis: ChaosRedis;
  workers: BenchChild[];
  restartWorker(index: number): Promise<BenchChild>;
  admin: FaultAdmin;
  /** Runs conversations that must meet billing down (the connector-down fault waits for them). */
  runOutageBatch(): Promise<number>;
  /** Outage conversations not yet run. */
  outageLeft(): number;
  log(line: string): void;
  random(): number;
}

/** Turns running right now (a worker is inside the agent, a connector call or a write). */
async function runningTurns(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages WHERE turn_status = 'running'`,
  );
  return rows[0]!.n;
}

/** Waits (at most `maxMs`) for a moment when at least one turn is running; returns how many are. */
async function midTurn(pool: pg.Pool, maxMs = 15_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const running = await runningTurns(pool);
    if (running > 0 || Date.now() > deadline) return running;
    await sleep(20);
  }
}

/**
 * Injects the faults one at a time, cycling through the kinds while `keepGoing()` (the load runs) and
 * until every outage conversation has met a connector-down window. While the load runs each waits for
 * a turn in progress; after it, only the outage windows still owed run.
 */
export async function runFaultController(
  options: FaultControllerOptions,
  keepGoing: () => boolean,
): Promise<{ injected: InjectedFault[]; crashes: string[] }> {
  const injected: InjectedFault[] = [];
  /** Workers found dead that the chaos did not kill: a crash is a defect (the run fails on it). */
  const crashes: string[] = [];
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const { pool, log } = options;
  let nextWorker = 0;
  /** The billing-down window in progress: it runs beside the other faults, one window at a time. */
  let outageWindow: Promise<void> | null = null;
  for (let step = 0; keepGoing() || options.outageLeft() > 0 || outageWindow; step++) {
    // After the load, the window in progress is all there is to wait for.
    if (!keepGoing() && outageWindow) await outageWindow;
    for (const [index, worker] of options.workers.entries()) {
      if (alive(worker.pid)) continue;
      crashes.push(
        `worker ${index + 1} (pid ${worker.pid}) exited on its own:\n${worker.output().slice(-1500)}`,
      );
      log(`worker ${index + 1} (pid ${worker.pid}) exited on its own; restarting it`);
      options.workers[index] = await options.restartWorker(index);
    }
    const kind = faultKinds[step % faultKinds.length]!;
    if (kind === 'connector_down' && (options.outageLeft() === 0 || outageWindow)) continue;
    // The armed billing fault reaches the workers once, over the event bus: a worker restarted, or a
    // subscription lost with Redis, during a window would not fail billing — a harness artefact, not
    // a finding. During a window only PostgreSQL terminations run beside it.
    if (outageWindow && (kind === 'worker_sigkill' || kind === 'redis_restart')) continue;
    // Once the load is over only the outage windows still owed run: a worker, Redis or PostgreSQL
    // fault with no turn to land in tests nothing, and each would wait for a turn that never comes.
    const loadRunning = keepGoing();
    if (!loadRunning && kind !== 'connector_down') continue;
    // A pause between faults (1.5–4 s) so the system is seen recovering under load, not only failing.
    await sleep(1_500 + options.random() * 2_500);
    const running = loadRunning ? await midTurn(pool) : await runningTurns(pool);
    const at = new Date().toISOString();
    switch (kind) {
      case 'worker_sigkill': {
        const index = nextWorker++ % options.workers.length;
        const victim = options.workers[index]!;
        if (!alive(victim.pid)) continue;
        process.kill(victim.pid, 'SIGKILL');
        log(`SIGKILL worker ${index + 1} (pid ${victim.pid}) with ${running} turn(s) running`);
        await sleep(1_000);
        const started = performance.now();
        options.workers[index] = await options.restartWorker(index);
        injected.push({
          kind,
          at,
          runningTurns: running,
          detail: `worker ${index + 1} pid ${victim.pid} → ${options.workers[index]!.pid} (restart ${((performance.now() - started) / 1000).toFixed(1)} s)`,
        });
        break;
      }
      case 'redis_restart': {
        await options.redis.stop();
        log(`Redis shut down (nosave) with ${running} turn(s) running`);
        await sleep(1_500);
        await options.redis.start();
        injected.push({ kind, at, runningTurns: running, detail: 'down 1.5 s, restarted empty' });
        break;
      }
      case 'postgres_terminate': {
        const terminated = await terminateBackends(pool, options.databaseName);
        log(`terminated ${terminated} PostgreSQL backend(s) with ${running} turn(s) running`);
        injected.push({ kind, at, runningTurns: running, detail: `${terminated} backends terminated` });
        break;
      }
      case 'connector_down': {
        await options.admin.arm({
          connector: 'billing',
          operation: 'refund_payment',
          mode: 'error',
          count: 100_000,
        });
        log(`billing.refund_payment down (${running} turn(s) running)`);
        outageWindow = (async () => {
          const conversations = await options.runOutageBatch();
          await options.admin.clear();
          log(`billing back up after ${conversations} outage conversation(s)`);
          injected.push({
            kind,
            at,
            runningTurns: running,
            detail: `billing.refund_payment failing for ${conversations} outage conversation(s)`,
          });
        })().finally(() => {
          outageWindow = null;
        });
        break;
      }
    }
  }
  return { injected, crashes };
}
