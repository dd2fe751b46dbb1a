import { hostname } from 'node:os';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { runAsJob } from '../connectors/core/idempotency.ts';
import { defaultPrefix, jobTypes, retention } from './bullmq-options.ts';
import { type JobContext, type JobHandlers, type JobType, jobCatalog, parseJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';

/** Options of the BullMQ workers of one process. */
export interface BullWorkersOptions {
  url: string;
  prefix?: string;
  handlers: JobHandlers;
  /** Jobs of one type run at once in this process (long types, ingestion and evals, run one at a time). */
  concurrency?: number;
  logger?: Logger;
  /** How often this process looks for jobs whose worker died. Default 5 s. */
  stalledIntervalMs?: number;
  /**
   * A job's lock; renewed at half this while its worker lives, so a dead worker's job is free after it.
   * Default 10 s. A killed worker's job thus runs again 5–15 s after the death (with the 5 s stalled
   * check); its writes then wait out the dead worker's idempotency leases (at most 15 s, see
   * `defaultLeaseSettings` in connectors/core/idempotency.ts) and take their keys over.
   */
  lockDurationMs?: number;
  /** Job types this process serves (default all). */
  types?: JobType[];
  /** Test hook: shorter per-attempt timeouts than the catalog's. */
  timeoutsMs?: Partial<Record<JobType, number>>;
}

/** The workers of one process. */
export interface BullWorkers {
  /** Resolves once every worker is connected and listening for jobs. */
  ready(): Promise<void>;
  /**
   * Stops taking work, waits up to `graceMs` (default 30 s) for in-flight jobs, then aborts the rest
   * and hands them back to the queue (another worker picks them up), and closes the connections.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Types that run for minutes and would crowd out turns: one at a time per process. */
const longRunning = new Set<JobType>(['knowledge.ingest', 'knowledge.sync', 'eval.run']);

/** Aborts a handler because the process is shutting down: its job goes back to the queue. */
class HandBack extends Error {
  override name = 'HandBack';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Starts one BullMQ worker per job type. Each job's payload is validated (an invalid one fails at
 * once, no retries), its handler gets an AbortSignal that fires on the catalog timeout, and a job
 * whose worker dies (SIGKILL, lost host) is returned to the queue by another worker's stalled-job
 * check once its lock expires (`lockDurationMs`), then runs again there.
 */
export function createBullWorkers(options: BullWorkersOptions): BullWorkers {
  const prefix = options.prefix ?? defaultPrefix;
  const logger = options.logger ?? pino({ enabled: false });
  // Workers need `maxRetriesPerRequest: null`: their blocking reads must wait for Redis, not fail.
  const connection = new Redis(options.url, { maxRetriesPerRequest: null });
  const inFlight = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  const workerName = `${hostname()}:${process.pid}`;

  async function processJob(job: Job, token?: string, bullSignal?: AbortSignal): Promise<void> {
    const type = job.queueName as JobType;
    let payload: unknown;
    try {
      payload = parseJobPayload(type, job.data);
    } catch (error) {
      logger.error({ err: error, jobId: job.id, type }, 'invalid job payload: failed without retry');
      throw new UnrecoverableError(`invalid ${type} payload: ${(error as Error).message}`);
    }
    const timeoutMs = options.timeoutsMs?.[type] ?? jobCatalog[type].timeoutMs;
    const controller = new AbortController();
    const onBullAbort = () => controller.abort(bullSignal?.reason);
    bullSignal?.addEventListener('abort', onBullAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`job ${type} timed out after ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    const context: JobContext = { jobId: job.id!, attempt: job.attemptsMade + 1, signal: controller.signal };
    const handler = options.handlers[type] as (payload: unknown, context: JobContext) => Promise<void>;
    // Idempotency leases its writes take name this job (and attempt) as their holder's, so an
    // operator can tell which job holds a key. A lease lives only as long as this process renews
    // it (connectors/core/idempotency.ts): if the worker dies, this job's lock and the lease both run
    // out, and the job's next run takes the key over.
    const run = Promise.race([
      runAsJob(`${type}/${job.id}#${context.attempt}`, () => handler(payload, context)),
      timeout,
    ]);
    const key = `${type}/${job.id}`;
    // Settles once the job is fully dealt with here, hand-back included.
    let settle: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    inFlight.set(key, { controller, done });
    try {
      await run;
    } catch (error) {
      if (controller.signal.reason instanceof HandBack && token) {
        // Back to `wait` without using an attempt: another worker runs it from the start.
        await job.moveToWait(token);
        logger.info({ jobId: job.id, type }, 'job handed back on shutdown');
        throw new WaitingError();
      }
      if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
      throw error;
    } finally {
      clearTimeout(timer);
      bullSignal?.removeEventListener('abort', onBullAbort);
      inFlight.delete(key);
      settle();
    }
  }

  const workers = (options.types ?? jobTypes).map((type) => {
    const worker = new Worker(type, processJob, {
      connection,
      prefix,
      name: workerName,
      concurrency: longRunning.has(type) ? 1 : (options.concurrency ?? 2),
      lockDuration: options.lockDurationMs ?? 10_000,
      stalledInterval: options.stalledIntervalMs ?? 5_000,
      // A job that stalls twice is more likely killing its workers than unlucky: fail it.
      maxStalledCount: 2,
      ...retention,
    });
    worker.on('failed', (job, error) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
      const entry = { err: error, jobId: job.id, type, attempt: job.attemptsMade };
      if (final) logger.error(entry, 'job failed');
      else logger.warn(entry, 'job attempt failed; will retry');
    });
    worker.on('stalled', (jobId) => logger.warn({ jobId, type }, 'stalled job returned to the queue'));
    worker.on('error', (error) => logger.error({ err: error, type }, 'worker error'));
    return worker;
  });

  let closing: Promise<void> | undefined;
  return {
    async ready() {
      await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    },
    close({ graceMs = 30_000 } = {}) {
      closing ??= (async () => {
        // Stop taking work at once (without waiting), then give in-flight jobs their grace period.
        await Promise.all(workers.map((worker) => worker.pause(true)));
        logger.debug({ jobs: [...inFlight.keys()] }, 'workers paused');
        const settled = () => Promise.all([...inFlight.values()].map((entry) => entry.done));
        const finished = await Promise.race([settled().then(() => true), sleep(graceMs).then(() => false)]);
        if (!finished) {
          logger.warn({ jobs: [...inFlight.keys()] }, 'shutdown grace period over: handing jobs back');
          for (const entry of inFlight.values()) entry.controller.abort(new HandBack('worker shutting down'));
          await Promise.race([settled(), sleep(5_000)]);
        }
        // Handlers that ignored the abort are abandoned: their locks expire and another worker's
        // stalled-job check returns them to the queue.
        const force = inFlight.size > 0;
        logger.debug({ force }, 'closing workers');
        await Promise.allSettled(workers.map((worker) => worker.close(force)));
        logger.debug('workers closed');
        // QUIT waits for pending replies; a connection stuck reconnecting must not hold the shutdown.
        await Promise.race([connection.quit().catch(() => undefined), sleep(2_000)]);
        connection.disconnect();
      })();
      return closing;
    },
  };
}
