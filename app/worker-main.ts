import { resolvedMode } from '../config/api.ts';
import { backendEnvironmentOf } from '../config/backends.ts';
import { gmailSettingsOf } from '../config/gmail.ts';
import { zendeskGuideSettingsOf } from '../config/knowledge-sources.ts';
import { paymentLinkBaseUrlOf, runEntryPoint } from '../config/load.ts';
import { createLogger } from '../config/logger.ts';
import { mcpClientSettingsFrom } from '../config/mcp-client.ts';
import { outboundWebhookSettingsOf } from '../config/webhooks.ts';
import { loadWorkerConfig } from '../config/worker.ts';
import { parseMasterKeys } from '../connectors/core/master-key.ts';
import { scheduleGmailOnBull } from '../jobs/gmail-sync-job.ts';
import { scheduleDriveSyncOnBull, scheduleKnowledgeSyncOnBull } from '../jobs/knowledge-sync-job.ts';
import { schedulePurgeTranscriptsOnBull } from '../jobs/retention-job.ts';
import { closeSharedWorkerEmbedder } from '../knowledge/worker-embedder.ts';
import { configuredReasoner } from './configured-reasoner.ts';
import { openConfiguredDatabase } from './database-from-config.ts';
import { createApiRuntime } from './runtime.ts';

/**
 * `npm run worker`: takes jobs from the BullMQ queues on Redis and runs them against the shared
 * PostgreSQL database, with the same composition as the API (app/runtime.ts). Run as many as the load
 * needs: they share the work, and a job whose worker dies is picked up by another. SIGTERM/SIGINT: stop
 * taking work, let in-flight jobs finish (or hand them back after WORKER_SHUTDOWN_GRACE_MS), close
 * everything, exit 0.
 */
await runEntryPoint(async () => {
  const config = loadWorkerConfig();
  const mode = resolvedMode(config);
  const logger = createLogger({ level: config.LOG_LEVEL }).child({ component: 'worker' });
  // Links in the emails turns send: where customers reach the API (the API's own default otherwise).
  const publicBaseUrl = config.PUBLIC_BASE_URL ?? 'http://127.0.0.1:3000';
  if (!config.PUBLIC_BASE_URL)
    logger.warn({ publicBaseUrl }, 'PUBLIC_BASE_URL is not set: links in emails point at this local address');
  const database = await openConfiguredDatabase(config);
  const reasoner = configuredReasoner(config);
  const knowledgeSources = { zendeskGuide: zendeskGuideSettingsOf(config) };
  const runtime = await createApiRuntime({
    database,
    publicBaseUrl,
    dataDir: config.DATA_DIR,
    mode,
    logger,
    backendEnvironment: backendEnvironmentOf(config),
    ...(gmailSettingsOf(config) ? { gmail: gmailSettingsOf(config)! } : {}),
    redis: { url: config.REDIS_URL, prefix: config.REDIS_PREFIX },
    ...(config.INBOUND_SMTP_AUTHSERV_ID ? { inboundMail: { mta: config.INBOUND_SMTP_AUTHSERV_ID } } : {}),
    runWorkers: true,
    concurrency: config.WORKER_CONCURRENCY,
    workerTuning: {
      lockDurationMs: config.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
      shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
    },
    ...(config.MASTER_KEY ? { masterKeys: parseMasterKeys(config.MASTER_KEY, 'MASTER_KEY') } : {}),
    settings: {
      faultInjection: mode === 'embedded' || config.ALLOW_FAULT_INJECTION,
      outboundWebhooks: outboundWebhookSettingsOf(config),
      customConnectorAllowedHosts: config.CUSTOM_CONNECTOR_ALLOWED_HOSTS,
    },
    switchboard: {
      paymentLinkBaseUrl: paymentLinkBaseUrlOf(publicBaseUrl),
      ...(config.SMTP_URL ? { smtpUrl: config.SMTP_URL } : {}),
      ...(reasoner ? { reasoner } : {}),
    },
    knowledgeSources,
    mcpClient: mcpClientSettingsFrom(config),
  });
  await runtime.ready();
  // Job schedulers live in Redis: however many workers start, each job runs once per interval.
  await runtime.bullJobs!.repeat('email.outbound', { reason: 'tick' }, { everyMs: 5_000 });
  await runtime.bullJobs!.repeat('maintenance.recover-turns', { olderThanMs: 10_000 }, { everyMs: 15_000 });
  await runtime.bullJobs!.repeat('webhook.sweep', { reason: 'tick' }, { everyMs: 5_000 });
  // The help center sync while the Zendesk Guide source is configured (its scheduler removed otherwise).
  await scheduleKnowledgeSyncOnBull(runtime.bullJobs!, knowledgeSources);
  // The Google Drive source's tick (set up on /admin; each run checks whether it is due).
  await scheduleDriveSyncOnBull(runtime.bullJobs!);
  // Transcript retention while TRANSCRIPT_RETENTION_DAYS is set (its scheduler removed otherwise).
  await schedulePurgeTranscriptsOnBull(runtime.bullJobs!, config.TRANSCRIPT_RETENTION_DAYS);
  // The Gmail poll and the watch renewal while Gmail is the email channel (their schedulers removed otherwise).
  await scheduleGmailOnBull(runtime.bullJobs!, {
    channel: config.EMAIL_CHANNEL === 'gmail',
    push: config.GMAIL_PUBSUB_TOPIC !== undefined,
    pollIntervalMs: config.GMAIL_POLL_INTERVAL_SECONDS * 1000,
  });
  // The intent model loads in the background, so the first turn does not wait ~15 s for it.
  void runtime.context.switchboard.classifier?.warm().catch((error: unknown) => {
    logger.error({ err: error }, 'warming the intent model failed');
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new jobs, finishing in-flight ones');
    // Whatever hangs past the grace period and the hand-back must not keep the process alive.
    setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.WORKER_SHUTDOWN_GRACE_MS + 15_000).unref();
    await runtime.close();
    await closeSharedWorkerEmbedder();
    await database.close();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // The line test harnesses wait for (jobs/testing/spawn-worker.ts).
  process.stdout.write(
    `Switchboard worker ready (pid ${process.pid}, prefix ${config.REDIS_PREFIX}, concurrency ${config.WORKER_CONCURRENCY})\n`,
  );
});
