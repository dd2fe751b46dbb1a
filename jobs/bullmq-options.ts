import type { JobsOptions } from 'bullmq';
import { type EnqueueOptions, type JobType, jobCatalog } from './catalog.ts';

export const defaultPrefix = 'switchboard';

/**
 * One BullMQ queue per job type, so a 30-minute eval run or a large ingestion never sits in front of
 * a customer's turn, each type gets its own worker concurrency, and counts are per type. The queue
 * name is the job type.
 */
export const jobTypes = Object.keys(jobCatalog) as JobType[];

/** Finished jobs kept for inspection: bounded so Redis does not grow without limit. */
export const retention = {
  removeOnComplete: { count: 1_000, age: 24 * 3600 },
  removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
} as const;

/** BullMQ options that apply the catalog's retry policy to one job. */
export function bullJobOptions(type: JobType, options: EnqueueOptions = {}): JobsOptions {
  const definition = jobCatalog[type];
  return {
    attempts: definition.attempts,
    ...(definition.backoffMs > 0 ? { backoff: { type: 'exponential', delay: definition.backoffMs } } : {}),
    ...retention,
    ...(options.delayMs ? { delay: options.delayMs } : {}),
    // BullMQ deduplication (not a custom job id): it allows ':' in the key and, with keepLastIfActive,
    // queues one follow-up run when the id is enqueued while its job is running (see EnqueueOptions).
    ...(options.jobId ? { deduplication: { id: options.jobId, keepLastIfActive: true } } : {}),
  };
}
