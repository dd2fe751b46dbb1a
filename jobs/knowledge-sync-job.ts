import type pg from 'pg';
import pino, { type Logger } from 'pino';
import { ConnectorError } from '../connectors/core/errors.ts';
import type { CredentialVault } from '../connectors/core/vault.ts';
import type { Embedder } from '../knowledge/embedder.ts';
import { createIngester } from '../knowledge/ingest.ts';
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
): Promise<GuideSyncReport | null> {
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
