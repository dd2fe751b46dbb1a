import { randomBytes } from 'node:crypto';
import { seedDemoHumans } from '../api/auth/demo-humans.ts';
import { createServer } from '../api/server.ts';
import { loadApiConfig, resolvedMode } from '../config/api.ts';
import { backendEnvironmentOf } from '../config/backends.ts';
import { gmailSettingsOf } from '../config/gmail.ts';
import { zendeskGuideSettingsOf } from '../config/knowledge-sources.ts';
import { paymentLinkBaseUrlOf, runEntryPoint } from '../config/load.ts';
import { createLogger, logDestination } from '../config/logger.ts';
import { mcpClientSettingsFrom } from '../config/mcp-client.ts';
import { supportHoursOf } from '../config/support-hours.ts';
import { outboundWebhookSettingsOf } from '../config/webhooks.ts';
import { parseMasterKeys } from '../connectors/core/master-key.ts';
import { createInboundSmtpServer } from '../connectors/email/inbound/smtp-server.ts';
import { seedDemoWorld } from '../db/world/seed-demo.ts';
import { owedTurnOf } from '../jobs/inbound-email-job.ts';
import { googleDriveSyncTick, knowledgeSyncSchedule } from '../jobs/knowledge-sync-job.ts';
import { purgeTranscriptsSchedule } from '../jobs/retention-job.ts';
import { indexDemoArticles, writeDemoArticlesTextFirst } from '../knowledge/demo-articles.ts';
import { closeSharedWorkerEmbedder, sharedWorkerEmbedder } from '../knowledge/worker-embedder.ts';
import { configuredReasoner } from './configured-reasoner.ts';
import { openConfiguredDatabase } from './database-from-config.ts';
import { createApiRuntime } from './runtime.ts';

/** `npm start`: the API and UI on the embedded default (or PostgreSQL / Redis when configured). */
await runEntryPoint(async () => {
  const startedAt = performance.now();
  const config = loadApiConfig();
  const mode = resolvedMode(config);
  const logger = createLogger({ level: config.LOG_LEVEL });
  const database = await openConfiguredDatabase(config);
  if (config.SEED_ON_FIRST_START && database.kind === 'pglite') {
    const seeding = await seedDemoWorld(database.pool);
    if (seeding.seeded) process.stdout.write('Seeded the Lumen Cloud demo world.\n');
    // The help center searchable by full text before the first request (~0.5 s, nothing embedded);
    // the background indexing below embeds it (docs/startup.md).
    if (seeding.seeded) await writeDemoArticlesTextFirst(database.pool, sharedWorkerEmbedder());
    await seedDemoHumans(database.pool);
  }
  // Embedded without a configured secret: a per-process secret, so the demo page can sign a customer in.
  const identitySecret =
    config.IDENTITY_JWT_SECRET ?? (mode === 'embedded' ? randomBytes(32).toString('base64url') : undefined);
  const inProcess = !config.REDIS_URL;
  // Links in emails: the configured public URL, else this server's own address (right for a local run).
  const localHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const publicBaseUrl = config.PUBLIC_BASE_URL ?? `http://${localHost}:${config.PORT}`;
  if (!config.PUBLIC_BASE_URL && mode === 'production')
    logger.warn({ publicBaseUrl }, 'PUBLIC_BASE_URL is not set: links in emails point at this local address');
  const reasoner = configuredReasoner(config);
  const knowledgeSources = { zendeskGuide: zendeskGuideSettingsOf(config) };
  const runtime = await createApiRuntime({
    database,
    publicBaseUrl,
    ...(config.INBOUND_SMTP_AUTHSERV_ID ? { inboundMail: { mta: config.INBOUND_SMTP_AUTHSERV_ID } } : {}),
    dataDir: config.DATA_DIR,
    mode,
    logger,
    backendEnvironment: backendEnvironmentOf(config),
    ...(gmailSettingsOf(config) ? { gmail: gmailSettingsOf(config)! } : {}),
    ...(config.REDIS_URL
      ? { redis: { url: config.REDIS_URL, prefix: config.REDIS_PREFIX }, runWorkers: config.API_RUNS_WORKERS }
      : {}),
    concurrency: config.WORKER_CONCURRENCY,
    identity: {
      ...(identitySecret ? { secret: identitySecret } : {}),
      ...(config.IDENTITY_JWKS_URL ? { jwksUrl: config.IDENTITY_JWKS_URL } : {}),
      ...(config.IDENTITY_ISSUER ? { issuer: config.IDENTITY_ISSUER } : {}),
      ...(config.IDENTITY_AUDIENCE ? { audience: config.IDENTITY_AUDIENCE } : {}),
      maxLifetimeSeconds: config.IDENTITY_TOKEN_MAX_LIFETIME_SECONDS,
      demoSigning: mode === 'embedded',
    },
    ...(config.MASTER_KEY ? { masterKeys: parseMasterKeys(config.MASTER_KEY, 'MASTER_KEY') } : {}),
    settings: {
      faultInjection: mode === 'embedded' || config.ALLOW_FAULT_INJECTION,
      widgetOrigins: config.WIDGET_ALLOWED_ORIGINS,
      conversationTokenTtlMs: config.CONVERSATION_TOKEN_TTL_DAYS * 24 * 60 * 60_000,
      ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
      secureCookies: config.COOKIE_SECURE ? config.COOKIE_SECURE === 'true' : mode === 'production',
      customConnectorAllowedHosts: config.CUSTOM_CONNECTOR_ALLOWED_HOSTS,
      supportHours: supportHoursOf(config),
      outboundWebhooks: outboundWebhookSettingsOf(config),
      rateLimit: {
        perIpPerMinute: config.RATE_LIMIT_PER_IP_PER_MINUTE,
        messagesPerConversationPerMinute: config.RATE_LIMIT_MESSAGES_PER_CONVERSATION_PER_MINUTE,
      },
    },
    switchboard: {
      paymentLinkBaseUrl: paymentLinkBaseUrlOf(publicBaseUrl),
      ...(config.SMTP_URL ? { smtpUrl: config.SMTP_URL } : {}),
      ...(reasoner ? { reasoner } : {}),
    },
    knowledgeSources,
    mcpClient: mcpClientSettingsFrom(config),
  });
  const app = await createServer(runtime.context, {
    logLevel: config.LOG_LEVEL,
    logStream: logDestination(),
  });

  // Periodic work, when this process runs the jobs (with Redis, `npm run worker` schedules these).
  const timers: NodeJS.Timeout[] = [];
  if (inProcess || config.API_RUNS_WORKERS) {
    const every = (ms: number, enqueue: () => Promise<void>) =>
      timers.push(
        setInterval(
          () => enqueue().catch((error) => logger.error({ err: error }, 'scheduling a job failed')),
          ms,
        ),
      );
    every(5_000, () =>
      runtime.context.jobs.enqueue('email.outbound', { reason: 'tick' }, { jobId: 'email-outbound-tick' }),
    );
    every(5_000, () =>
      runtime.context.jobs.enqueue('webhook.sweep', { reason: 'tick' }, { jobId: 'webhook-sweep-tick' }),
    );
    every(15_000, () =>
      runtime.context.jobs.enqueue(
        'maintenance.recover-turns',
        { olderThanMs: 10_000 },
        { jobId: 'recover-turns-tick' },
      ),
    );
    // Turns left pending by a previous run of this process are picked up at once.
    await runtime.context.jobs.enqueue('maintenance.recover-turns', { olderThanMs: 0 });
    // The help center sync, while the Zendesk Guide source is configured: at start, then every interval.
    const knowledgeSync = knowledgeSyncSchedule(knowledgeSources);
    if (knowledgeSync) {
      every(knowledgeSync.everyMs, () => knowledgeSync.enqueue(runtime.context.jobs));
      await knowledgeSync.enqueue(runtime.context.jobs);
    }
    // The Google Drive source is set up on /admin: its tick runs always and syncs once it is due.
    const driveTick = googleDriveSyncTick();
    every(driveTick.everyMs, () => driveTick.enqueue(runtime.context.jobs));
    // Transcript retention, while TRANSCRIPT_RETENTION_DAYS is set: at start, then hourly.
    const purge = purgeTranscriptsSchedule(config.TRANSCRIPT_RETENTION_DAYS);
    if (purge) {
      every(purge.everyMs, () => purge.enqueue(runtime.context.jobs));
      await purge.enqueue(runtime.context.jobs);
    }
  }

  // Support mail: the SMTP server authenticates and stores each message (threaded, de-duplicated),
  // then its turn is queued.
  const inbound = config.INBOUND_SMTP_PORT
    ? createInboundSmtpServer({
        db: database.pool,
        ...runtime.inboundMail,
        host: config.INBOUND_SMTP_HOST,
        port: config.INBOUND_SMTP_PORT,
        trustedRelayHosts: config.INBOUND_SMTP_TRUSTED_RELAYS,
        onMessage: async (event) => {
          await owedTurnOf(
            { pool: database.pool, jobs: runtime.context.jobs, bus: runtime.context.bus, logger },
            event,
          );
        },
        onError: (error) =>
          logger.error({ err: error }, 'an inbound email was refused with 451 (the sender retries)'),
      })
    : null;
  const inboundAddress = await inbound?.listen();
  if (inboundAddress) logger.info(inboundAddress, 'receiving support mail over SMTP');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, finishing in-flight work');
    for (const timer of timers) clearInterval(timer);
    await inbound?.close();
    await app.close();
    await runtime.close();
    await closeSharedWorkerEmbedder();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  // In the background: load the intent model (else the first customer waits ~15 s for it) and, on the
  // embedded default, index the help center (the first start embeds ~60 articles; later starts none).
  // Side by side: the index is written text first within about a second, searchable before the model
  // is warm, and its embedding runs in a worker thread, so the server answers meanwhile (docs/startup.md).
  void runtime.context.switchboard.classifier?.warm().catch((error: unknown) => {
    app.log.error({ err: error }, 'warming the intent model failed');
  });
  if (database.kind === 'pglite') {
    void indexDemoArticles(database.pool, sharedWorkerEmbedder()).then(
      (report) => app.log.info({ knowledge: report }, 'demo help center indexed'),
      (error: unknown) => app.log.error({ err: error }, 'indexing the help center failed'),
    );
  }
  process.stdout.write(
    `Switchboard listening on ${address} (${database.kind}, ${mode}, jobs ${inProcess ? 'in process' : 'on Redis'}, ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s)\n` +
      (mode === 'embedded'
        ? `  chat: ${address}/   console: ${address}/console   admin: ${address}/admin   API docs: ${address}/docs\n  demo logins: agent@lumen.example / admin@lumen.example, password switchboard-demo\n`
        : ''),
  );
});
