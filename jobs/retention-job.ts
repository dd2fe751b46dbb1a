import type pg from 'pg';
import type { Logger } from 'pino';
import { type PurgeReport, purgeExpiredTranscripts } from '../conversations/retention.ts';
import type { BullJobs } from './bullmq-jobs.ts';
import type { JobContext, JobQueue, ParsedJobPayload } from './catalog.ts';

/** The one scheduler / de-duplication id of the retention purge. */
export const purgeTranscriptsJobId = 'purge-transcripts';

/** How often the purge runs while retention is on: hourly keeps a day's cutoff within an hour. */
export const purgeTranscriptsEveryMs = 60 * 60_000;

/** Runs the retention purge (conversations/retention.ts) and logs what it removed. */
export async function runPurgeTranscriptsJob(
  deps: { pool: pg.Pool; logger?: Logger },
  payload: ParsedJobPayload<'maintenance.purge-transcripts'>,
  context: Pick<JobContext, 'signal'>,
): Promise<PurgeReport> {
  const report = await purgeExpiredTranscripts(deps.pool, {
    retentionDays: payload.retentionDays,
    signal: context.signal,
  });
  if (report.conversations > 0) deps.logger?.info(report, 'transcripts past retention purged');
  return report;
}

/** The purge's schedule in a process that runs jobs in process, or null when retention is off. */
export function purgeTranscriptsSchedule(
  retentionDays: number | undefined,
): { everyMs: number; enqueue(jobs: JobQueue): Promise<void> } | null {
  if (retentionDays === undefined) return null;
  return {
    everyMs: purgeTranscriptsEveryMs,
    enqueue: (jobs) =>
      jobs.enqueue('maintenance.purge-transcripts', { retentionDays }, { jobId: purgeTranscriptsJobId }),
  };
}

/**
 * With BullMQ: a job scheduler in Redis while retention is on (one per deployment however many
 * workers start), removed once TRANSCRIPT_RETENTION_DAYS is unset.
 */
export async function schedulePurgeTranscriptsOnBull(
  bullJobs: Pick<BullJobs, 'repeat' | 'unrepeat'>,
  retentionDays: number | undefined,
): Promise<boolean> {
  if (retentionDays === undefined) {
    await bullJobs.unrepeat('maintenance.purge-transcripts', purgeTranscriptsJobId);
    return false;
  }
  await bullJobs.repeat(
    'maintenance.purge-transcripts',
    { retentionDays },
    { everyMs: purgeTranscriptsEveryMs, id: purgeTranscriptsJobId },
  );
  return true;
}
