import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullJobOptions, defaultPrefix, jobTypes } from './bullmq-options.ts';
import {
  type EnqueueOptions,
  type JobPayload,
  type JobQueue,
  type JobType,
  parseJobPayload,
} from './catalog.ts';

export { createBullWorkers } from './bullmq-workers.ts';

/** Where BullMQ keeps its keys. */
export interface BullConnectionOptions {
  url: string;
  /** Key prefix; one per deployment, or per test file so test files never collide. Default `switchboard`. */
  prefix?: string;
}

/** The BullMQ queue: a `JobQueue` plus repeatable jobs. */
export type BullJobs = JobQueue & {
  /**
   * Creates (or updates) a job scheduler that enqueues `type` every `everyMs`. However many workers
   * start, Redis holds one scheduler per id, so the job runs once per interval, not once per worker.
   */
  repeat<T extends JobType>(
    type: T,
    payload: JobPayload<T>,
    options: { everyMs: number; id?: string },
  ): Promise<void>;
  /** Removes the job scheduler `id` (default `type`), if there is one (a source no longer configured). */
  unrepeat(type: JobType, id?: string): Promise<void>;
};

/** Opens the BullMQ queues (one connection shared by all of them). */
export function createBullJobs(options: BullConnectionOptions): BullJobs {
  const prefix = options.prefix ?? defaultPrefix;
  // Adds fail fast (a few retries) when Redis is down, so the API can answer 503 instead of hanging.
  const connection = new Redis(options.url, { maxRetriesPerRequest: 3 });
  const queues = new Map<JobType, Queue>(
    jobTypes.map((type) => [type, new Queue(type, { connection, prefix })] as const),
  );
  const queueOf = (type: JobType) => queues.get(type)!;
  let closed = false;
  /**
   * The schedulers this process asked for. Redis may come back without them (restarted without
   * persistence, failed over to an empty replica): then nothing would enqueue the outbox tick or the
   * pending-turn sweep again until a worker restarts, and a turn whose job was lost would wait forever
   * (found by `npm run chaos`, docs/reliability.md). So each reconnection upserts them again — a no-op
   * while they still exist, since Redis keeps one scheduler per id.
   */
  const schedulers = new Map<string, () => Promise<void>>();
  let connectedBefore = false;
  connection.on('ready', () => {
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    for (const upsert of schedulers.values()) void upsert().catch(() => {});
  });

  return {
    async enqueue<T extends JobType>(type: T, payload: JobPayload<T>, enqueueOptions: EnqueueOptions = {}) {
      if (closed) throw new Error('job queue is closed');
      // Invalid payloads fail at the caller, never later in a worker.
      const parsed = parseJobPayload(type, payload);
      await queueOf(type).add(type, parsed, bullJobOptions(type, enqueueOptions));
    },

    async repeat(type, payload, repeatOptions) {
      const parsed = parseJobPayload(type, payload);
      const { attempts, backoff, removeOnComplete, removeOnFail } = bullJobOptions(type);
      const id = repeatOptions.id ?? type;
      const upsert = async () => {
        await queueOf(type).upsertJobScheduler(
          id,
          { every: repeatOptions.everyMs },
          {
            name: type,
            data: parsed,
            opts: { attempts, ...(backoff ? { backoff } : {}), removeOnComplete, removeOnFail },
          },
        );
      };
      schedulers.set(`${type}/${id}`, upsert);
      await upsert();
    },

    async unrepeat(type, id) {
      schedulers.delete(`${type}/${id ?? type}`);
      await queueOf(type).removeJobScheduler(id ?? type);
    },

    async counts() {
      const all = await Promise.all(
        [...queues.values()].map((queue) => queue.getJobCounts('waiting', 'active', 'delayed', 'failed')),
      );
      const total = { waiting: 0, active: 0, delayed: 0, failed: 0 };
      for (const counts of all) {
        for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += counts[key] ?? 0;
      }
      return total;
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
