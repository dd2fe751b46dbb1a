import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import {
  type EnqueueOptions,
  type JobContext,
  type JobHandlers,
  type JobPayload,
  type JobQueue,
  type JobType,
  jobCatalog,
  parseJobPayload,
} from './catalog.ts';
import { PermanentJobError } from './errors.ts';

/** Options of the embedded (no Redis) job runner. */
export interface InProcessJobsOptions {
  handlers: JobHandlers;
  /** Jobs run at the same time, across all types. Default 2. */
  concurrency?: number;
  logger?: Logger;
}

/** The embedded runner: a `JobQueue` that also runs the jobs, plus `drain()` for tests and scripts. */
export type InProcessJobs = JobQueue & {
  /** Resolves when nothing is waiting, running or due for a retry (delayed jobs not yet due are ignored). */
  drain(): Promise<void>;
};

interface Entry {
  id: string;
  type: JobType;
  payload: unknown;
  /** Attempts already made. */
  attemptsMade: number;
  running: boolean;
  /** Payload of a run requested (same job id) while this one was running: starts after it finishes. */
  next?: unknown;
}

/** Exponential backoff, as BullMQ computes it: `backoffMs * 2^(attempt - 1)`. */
export function retryDelayMs(backoffMs: number, attemptsMade: number): number {
  return backoffMs * 2 ** Math.max(0, attemptsMade - 1);
}

/**
 * Runs catalog jobs inside this process, with the same semantics as the BullMQ workers: payloads
 * validated at enqueue, job-id de-duplication (see `EnqueueOptions.jobId`: ignored while waiting or
 * delayed, one follow-up run while running), retries with exponential backoff, and a per-attempt
 * timeout that aborts the handler's signal. Jobs live in memory:
 * a crash loses what was waiting (the `maintenance.recover-turns` job re-enqueues lost turns).
 */
export function createInProcessJobs(options: InProcessJobsOptions): InProcessJobs {
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const logger = options.logger ?? pino({ enabled: false });
  const known = new Map<string, Entry>();
  const waiting: Entry[] = [];
  const running = new Map<string, Promise<void>>();
  const timers = new Map<string, NodeJS.Timeout>();
  /** Jobs sleeping before a retry: `drain()` waits for them, they are part of the job's run. */
  const retrying = new Set<string>();
  const drainWaiters: Array<() => void> = [];
  let failed = 0;
  let closed = false;

  const settleDrains = (): void => {
    if (waiting.length > 0 || running.size > 0 || retrying.size > 0) return;
    for (const resolve of drainWaiters.splice(0)) resolve();
  };

  const pump = (): void => {
    while (!closed && running.size < concurrency && waiting.length > 0) {
      const entry = waiting.shift()!;
      entry.running = true;
      const run = runAttempt(entry).finally(() => {
        entry.running = false;
        running.delete(entry.id);
        pump();
        settleDrains();
      });
      running.set(entry.id, run);
    }
    settleDrains();
  };

  const schedule = (entry: Entry, delayMs: number, isRetry: boolean): void => {
    if (delayMs <= 0) {
      waiting.push(entry);
      return;
    }
    if (isRetry) retrying.add(entry.id);
    const timer = setTimeout(() => {
      timers.delete(entry.id);
      retrying.delete(entry.id);
      waiting.push(entry);
      pump();
    }, delayMs);
    timers.set(entry.id, timer);
  };

  /** The job is done for good: forget its id, and start the run requested while it was running. */
  const finish = (entry: Entry): void => {
    known.delete(entry.id);
    if (entry.next === undefined || closed) return;
    const follow: Entry = {
      id: entry.id,
      type: entry.type,
      payload: entry.next,
      attemptsMade: 0,
      running: false,
    };
    known.set(follow.id, follow);
    waiting.push(follow);
  };

  async function runAttempt(entry: Entry): Promise<void> {
    const definition = jobCatalog[entry.type];
    const attempt = entry.attemptsMade + 1;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`job ${entry.type} timed out after ${definition.timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, definition.timeoutMs);
    });
    const context: JobContext = { jobId: entry.id, attempt, signal: controller.signal };
    const handler = options.handlers[entry.type] as (payload: unknown, context: JobContext) => Promise<void>;
    try {
      // Parsed again so the handler gets defaults applied, exactly like the BullMQ worker.
      const payload = parseJobPayload(entry.type, entry.payload);
      await Promise.race([handler(payload, context), timeout]);
      finish(entry);
      logger.debug({ jobId: entry.id, type: entry.type, attempt }, 'job completed');
    } catch (error) {
      entry.attemptsMade = attempt;
      const willRetry = !closed && attempt < definition.attempts && !(error instanceof PermanentJobError);
      logger.warn(
        { err: error, jobId: entry.id, type: entry.type, attempt, willRetry },
        'job attempt failed',
      );
      if (willRetry) {
        schedule(entry, retryDelayMs(definition.backoffMs, attempt), true);
      } else {
        finish(entry);
        failed += 1;
        logger.error({ err: error, jobId: entry.id, type: entry.type, attempts: attempt }, 'job failed');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async enqueue<T extends JobType>(type: T, payload: JobPayload<T>, enqueueOptions: EnqueueOptions = {}) {
      if (closed) throw new Error('job queue is closed');
      // Invalid payloads fail at the caller, never later in a worker.
      const parsed = parseJobPayload(type, payload);
      const id = enqueueOptions.jobId ?? randomUUID();
      const existing = known.get(id);
      if (existing) {
        // Work that arrives while the job runs may be missed by it: run once more afterwards.
        if (existing.running) existing.next = parsed;
        logger.debug({ jobId: id, type, followUp: existing.running }, 'job de-duplicated');
        return;
      }
      const entry: Entry = { id, type, payload: parsed, attemptsMade: 0, running: false };
      known.set(id, entry);
      schedule(entry, enqueueOptions.delayMs ?? 0, false);
      pump();
    },

    async counts() {
      return {
        waiting: waiting.length,
        active: running.size,
        delayed: timers.size,
        failed,
      };
    },

    drain() {
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settleDrains();
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      retrying.clear();
      waiting.splice(0);
      await Promise.allSettled([...running.values()]);
      settleDrains();
    },
  };
}
