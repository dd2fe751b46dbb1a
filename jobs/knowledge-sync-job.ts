import type pg from 'pg';
import pino, { type Logger } from 'pino';
import { ConnectorError } from '../connectors/core/errors.ts';
import type { CredentialVault } from '../connectors/core/vault.ts';
import type { GoogleConnection } from '../connectors/google/connection.ts';
import type { Embedder } from '../knowledge/embedder.ts';
import { createIngester } from '../knowledge/ingest.ts';
import {
  createDriveClient,
  DriveSyncBusyError,
  type DriveSyncReport,
  isDriveSyncDue,
  readDriveSettings,
  recordDriveFailure,
  syncGoogleDrive,
} from '../knowledge/sources/google-drive/index.ts';
import {
  createGuideTransport,
  GuideNotConfiguredError,
  GuideSyncBusyError,
  type GuideSyncReport,
  guideAuth,
  isGuideConfigured,
  recordGuideFailure,
  syncZendeskGuide,
  type ZendeskGuideSettings,
} from '../knowledge/sources/zendesk-guide/index.ts';
import { sharedWorkerEmbedder } from '../knowledge/worker-embedder.ts';
import type { BullJobs } from './bullmq-jobs.ts';
import type { JobQueue, ParsedJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';

/** The de-duplication id of Zendesk Guide syncs (scheduled and on demand), and its scheduler's id. */
export const zendeskGuideSyncJobId = 'knowledge-sync-zendesk-guide';

/** The de-duplication id of Google Drive syncs (the scheduled tick and on demand). */
export const googleDriveSyncJobId = 'knowledge-sync-google-drive';

/**
 * How often the Drive tick is enqueued. The Drive source is set up on /admin (settings in the
 * database, not the environment), so the tick always runs; the job does nothing until the source is
 * set up and its own interval (`intervalMinutes`) has passed since the last run.
 */
export const googleDriveTickMs = 5 * 60_000;

/** The knowledge sources as this process is configured (config/knowledge-sources.ts). */
export interface KnowledgeSourcesConfig {
  zendeskGuide?: ZendeskGuideSettings | null;
}

export interface KnowledgeSyncJobDependencies {
  pool: pg.Pool;
  knowledgeSources?: KnowledgeSourcesConfig;
  /** Where stored credentials are (connector `knowledge`). */
  vault?: Pick<CredentialVault, 'get'>;
  embedder?: Embedder;
  logger?: Logger;
  /** The shared Google connection the Drive source reads with (absent: the Drive source cannot run). */
  google?: GoogleConnection;
}

/**
 * `knowledge.sync`: runs one sync of the source. Not configured: a scheduled run does nothing, a
 * requested one fails without retry (and says so on /admin). Another run in progress: nothing to do.
 * Failures retrying cannot fix (refused credentials, a malformed answer) fail at once; 429/5xx that
 * outlast the sync's own retries fail the attempt, and the job's retry goes on from the stored cursor.
 */
export async function runKnowledgeSyncJob(
  deps: KnowledgeSyncJobDependencies,
  payload: ParsedJobPayload<'knowledge.sync'>,
  signal?: AbortSignal,
): Promise<GuideSyncReport | DriveSyncReport | null> {
  if (payload.source === 'google-drive') return runDriveSyncJob(deps, payload, signal);
  const logger = deps.logger ?? pino({ enabled: false });
  const settings = deps.knowledgeSources?.zendeskGuide;
  if (!isGuideConfigured(settings)) {
    const message =
      'the Zendesk Guide source is not configured: set ZENDESK_GUIDE_SUBDOMAIN (or ZENDESK_GUIDE_API_BASE)';
    if (payload.reason === 'schedule') {
      logger.info({ source: payload.source }, `${message}; scheduled sync skipped`);
      return null;
    }
    await recordGuideFailure(deps.pool, message);
    throw new PermanentJobError(message);
  }
  try {
    const auth = await guideAuth(settings, deps.vault);
    const transport = createGuideTransport({
      ...(settings.subdomain ? { subdomain: settings.subdomain } : {}),
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      auth,
    });
    const report = await syncZendeskGuide({
      pool: deps.pool,
      // The model in a worker thread: a sync never holds the event loop of the process it runs in.
      ingester: createIngester({ embedder: deps.embedder ?? sharedWorkerEmbedder() }),
      transport,
      locale: settings.locale ?? null,
      logger,
      ...(signal ? { signal } : {}),
    });
    logger.info(
      {
        source: payload.source,
        reason: payload.reason,
        requestedBy: payload.requestedBy,
        created: report.created.length,
        updated: report.updated.length,
        deleted: report.deleted.length,
        unchanged: report.unchanged,
        errors: report.errors.length,
      },
      'knowledge source synced',
    );
    return report;
  } catch (error) {
    if (error instanceof GuideSyncBusyError) {
      logger.info({ source: payload.source }, error.message);
      return null;
    }
    if (error instanceof GuideNotConfiguredError) {
      await recordGuideFailure(deps.pool, error.message);
      throw new PermanentJobError(error.message);
    }
    if (error instanceof ConnectorError && !error.retryable) throw new PermanentJobError(error.message);
    throw error;
  }
}

/**
 * One run of the Google Drive source. Not set up on /admin, or (scheduled) not due yet: nothing to
 * do; requested from /admin without settings or without a Google connection: fails without retry
 * and says so on /admin. Drive failures retrying cannot fix fail at once; 429/5xx that outlast the
 * sync's own retries fail the attempt (index and page token untouched) and the job's retry reruns it.
 */
async function runDriveSyncJob(
  deps: KnowledgeSyncJobDependencies,
  payload: ParsedJobPayload<'knowledge.sync'>,
  signal?: AbortSignal,
): Promise<DriveSyncReport | null> {
  const logger = deps.logger ?? pino({ enabled: false });
  const settings = await readDriveSettings(deps.pool);
  const scheduled = payload.reason === 'schedule';
  if (!settings) {
    if (scheduled) return null;
    const message = 'the Google Drive source is not set up: choose its folder on /admin';
    await recordDriveFailure(deps.pool, message);
    throw new PermanentJobError(message);
  }
  if (scheduled && !(await isDriveSyncDue(deps.pool, settings))) return null;
  if (!deps.google || !(await deps.google.features()).includes('drive')) {
    const message =
      'Google is not connected with Drive access: connect Google Workspace on /admin and grant Drive (read-only)';
    await recordDriveFailure(deps.pool, message);
    throw new PermanentJobError(message);
  }
  try {
    const report = await syncGoogleDrive({
      pool: deps.pool,
      ingester: createIngester({ embedder: deps.embedder ?? sharedWorkerEmbedder() }),
      client: createDriveClient({ connection: deps.google }),
      settings,
      logger,
      ...(signal ? { signal } : {}),
    });
    logger.info(
      {
        source: payload.source,
        reason: payload.reason,
        requestedBy: payload.requestedBy,
        mode: report.mode,
        created: report.created.length,
        updated: report.updated.length,
        deleted: report.deleted.length,
        unchanged: report.unchanged,
        skipped: report.skipped.length,
        errors: report.errors.length,
      },
      'knowledge source synced',
    );
    return report;
  } catch (error) {
    if (error instanceof DriveSyncBusyError) {
      logger.info({ source: payload.source }, error.message);
      return null;
    }
    if (error instanceof ConnectorError && !error.retryable) throw new PermanentJobError(error.message);
    throw error;
  }
}

/** The Drive tick in a process that runs jobs in process: enqueued every `googleDriveTickMs`. */
export function googleDriveSyncTick(): { everyMs: number; enqueue(jobs: JobQueue): Promise<void> } {
  return {
    everyMs: googleDriveTickMs,
    enqueue: (jobs) =>
      jobs.enqueue(
        'knowledge.sync',
        { source: 'google-drive', reason: 'schedule' },
        { jobId: googleDriveSyncJobId },
      ),
  };
}

/** With BullMQ: the Drive tick as a job scheduler in Redis (one per deployment). */
export async function scheduleDriveSyncOnBull(bullJobs: Pick<BullJobs, 'repeat'>): Promise<void> {
  await bullJobs.repeat(
    'knowledge.sync',
    { source: 'google-drive', reason: 'schedule' },
    { everyMs: googleDriveTickMs, id: googleDriveSyncJobId },
  );
}

/** The sync's schedule in a process that runs jobs in process, or null when no source is configured. */
export function knowledgeSyncSchedule(
  sources: KnowledgeSourcesConfig,
): { everyMs: number; enqueue(jobs: JobQueue): Promise<void> } | null {
  const settings = sources.zendeskGuide;
  if (!isGuideConfigured(settings)) return null;
  return {
    everyMs: settings.intervalMs,
    enqueue: (jobs) =>
      jobs.enqueue(
        'knowledge.sync',
        { source: 'zendesk-guide', reason: 'schedule' },
        { jobId: zendeskGuideSyncJobId },
      ),
  };
}

/**
 * With BullMQ: a job scheduler in Redis while the source is configured (one per deployment however
 * many workers start), removed once it no longer is.
 */
export async function scheduleKnowledgeSyncOnBull(
  bullJobs: Pick<BullJobs, 'repeat' | 'unrepeat'>,
  sources: KnowledgeSourcesConfig,
): Promise<boolean> {
  const schedule = knowledgeSyncSchedule(sources);
  if (!schedule) {
    await bullJobs.unrepeat('knowledge.sync', zendeskGuideSyncJobId);
    return false;
  }
  await bullJobs.repeat(
    'knowledge.sync',
    { source: 'zendesk-guide', reason: 'schedule' },
    { everyMs: schedule.everyMs, id: zendeskGuideSyncJobId },
  );
  return true;
}
