import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type ApiContext, type ApiSettings, defaultApiSettings } from '../api/context.ts';
import { type CustomerIdentityOptions, createCustomerIdentity } from '../api/customer/identity.ts';
import type { BackendEnvironment } from '../config/backends.ts';
import type { McpClientSettings } from '../config/mcp-client.ts';
import { createContactDirectory } from '../connectors/backends/directory.ts';
import { type SelectableKind, selectableKinds } from '../connectors/backends/kinds.ts';
import {
  type BackendSelection,
  createBackendSelection,
  unavailableReason,
} from '../connectors/backends/selection.ts';
import type { ConnectorDefinition } from '../connectors/core/definition.ts';
import { loadOrCreateMasterKey, type MasterKeys } from '../connectors/core/master-key.ts';
import { createRedisCircuitStore, type RedisCircuitStore } from '../connectors/core/redis-circuit-store.ts';
import { createVault } from '../connectors/core/vault.ts';
import { customConnectorBuilders } from '../connectors/custom/kinds.ts';
import { createCustomConnectorSync } from '../connectors/custom/sync.ts';
import { defaultSender } from '../connectors/email/connector.ts';
import type { InboundMailOptions } from '../connectors/email/inbound/receive.ts';
import { replyTokenKeysFrom } from '../connectors/email/message-id.ts';
import { createOutbox } from '../connectors/email/outbox.ts';
import { googleWorkspaceFromEnvironment } from '../connectors/google/auth/index.ts';
import { createGmailRuntime, type GmailSettings } from '../connectors/google/gmail/index.ts';
import { csatLinkKeysFrom, csatLinkToken, csatLinkUrl } from '../conversations/csat-link.ts';
import { storeInboundEmail } from '../conversations/email-intake.ts';
import { controlChannel, type EventBus } from '../conversations/live-events.ts';
import {
  type ConversationLock,
  createAdvisoryConversationLock,
  createInProcessConversationLock,
} from '../conversations/lock.ts';
import { createTurnProcessor, type TurnProcessor } from '../conversations/turns.ts';
import type { Database } from '../db/database.ts';
import { type BullJobs, createBullJobs, createBullWorkers } from '../jobs/bullmq-jobs.ts';
import type { BullWorkers } from '../jobs/bullmq-workers.ts';
import type { JobHandlers, JobQueue } from '../jobs/catalog.ts';
import { createJobHandlers } from '../jobs/handlers.ts';
import { createInProcessEventBus } from '../jobs/in-process-event-bus.ts';
import { createInProcessJobs } from '../jobs/in-process-jobs.ts';
import type { KnowledgeSourcesConfig } from '../jobs/knowledge-sync-job.ts';
import { createRedisEventBus } from '../jobs/redis-event-bus.ts';
import { turnSchedulerOf } from '../jobs/turn-scheduler.ts';
import { createOutboundWebhooks } from '../jobs/webhooks/index.ts';
import { recordGuideSettings } from '../knowledge/sources/zendesk-guide/index.ts';
import { createSwitchboard, type Switchboard, type SwitchboardOptions } from './wiring.ts';

export interface ApiRuntimeOptions {
  database: Database;
  dataDir: string;
  mode: 'embedded' | 'production';
  logger?: Logger;
  /** BullMQ + Redis pub/sub; unset: the in-process runner and event bus. */
  redis?: { url: string; prefix?: string };
  /** With Redis: also run workers in this process. Always true in-process. */
  runWorkers?: boolean;
  concurrency?: number;
  /** Received mail: a stub DNS resolver (tests), the Authentication-Results name. */
  inboundMail?: Omit<InboundMailOptions, 'replyTokens' | 'store'>;
  /**
   * Where customers reach this deployment: emailed replies carry a signed rating link under it once a
   * conversation is answered or resolved. Unset (tests): no rating link is mailed.
   */
  publicBaseUrl?: string;
  /** BullMQ worker tuning (stalled-job recovery): see `createBullWorkers`. */
  workerTuning?: { lockDurationMs?: number; stalledIntervalMs?: number; shutdownGraceMs?: number };
  identity?: Omit<CustomerIdentityOptions, 'pool'>;
  settings?: Partial<ApiSettings>;
  masterKeys?: MasterKeys;
  /** The `*_BACKEND` choices and vendor settings of the environment (config/backends.ts). */
  backendEnvironment?: BackendEnvironment;
  /** Extra composition-root options (tests: a fixed clock, fast resilience, a reasoner). */
  switchboard?: Partial<SwitchboardOptions>;
  /** External knowledge sources synced by the `knowledge.sync` job; when given, recorded for /admin. */
  knowledgeSources?: KnowledgeSourcesConfig;
  /** The configured stdio MCP servers and private-host allow-list of MCP connectors (config/mcp-client.ts). */
  mcpClient?: McpClientSettings;
  /** Gmail as the email channel and/or sender (`EMAIL_CHANNEL` / `EMAIL_SENDER`; connectors/google/gmail/). */
  gmail?: GmailSettings;
}

export interface ApiRuntime {
  context: ApiContext;
  turns: TurnProcessor;
  /** The BullMQ queue (with repeatable schedules), when Redis is configured. */
  bullJobs: BullJobs | null;
  /** What the inbound SMTP server needs to authenticate and thread mail as the workers do. */
  inboundMail: InboundMailOptions;
  /** Resolves once this process's workers take jobs (immediately without BullMQ workers). */
  ready(): Promise<void>;
  /** Stops taking work, lets in-flight jobs finish, closes queues, buses and connectors (not the database). */
  close(): Promise<void>;
}

/**
 * Everything behind the HTTP API on one database: the composition root, the job queue (and, embedded
 * or when asked, the workers), the live event bus, customer identity and the credentials vault.
 */
export async function createApiRuntime(options: ApiRuntimeOptions): Promise<ApiRuntime> {
  const { database } = options;
  const settings: ApiSettings = {
    ...defaultApiSettings,
    mode: options.mode,
    ...(options.switchboard?.smtpUrl ? {} : { outboxDataDir: options.dataDir }),
    ...options.settings,
  };
  const masterKeys = options.masterKeys ?? (await loadOrCreateMasterKey(options.dataDir));
  // Every process signs and verifies the reply tokens of our Message-IDs with keys derived from the
  // shared master key, so a reply threads whichever process sent the mail or receives the answer.
  const replyTokens = replyTokenKeysFrom(masterKeys);
  const csatLinks = csatLinkKeysFrom(masterKeys);
  const inboundMail: InboundMailOptions = {
    ...options.inboundMail,
    replyTokens,
    // A sender the CRM knows but our directory does not yet is taken into it first (a vendor CRM's
    // contact), so the mail joins them as it would any contact of ours.
    store: async (db, email, context) => {
      await switchboard.identities.contactOfEmail(email.from.address);
      return storeInboundEmail(db, email, context);
    },
  };
  const vault = createVault({ db: database.pool, masterKeys });
  // The one Google Workspace connection (OAuth or service account) every Google feature uses.
  const google = googleWorkspaceFromEnvironment(vault, options.backendEnvironment ?? {});
  // Gmail as a way in (the channel) and out (the outbox's transport), on that same connection.
  const gmail = options.gmail
    ? createGmailRuntime(options.gmail, {
        connection: options.gmail.connection ?? google,
        pool: database.pool,
        inboundMail,
      })
    : null;
  const backends = createBackendSelection({
    db: database.pool,
    vault,
    env: options.backendEnvironment ?? {},
    deps: { db: database.pool, directory: createContactDirectory(database.pool), google },
  });
  // With Redis, every process (API, workers) shares its circuit breakers: one that finds a system
  // down stops the others calling it too (docs/connectors-core.md, "Shared breaker state").
  const sharedCircuits: RedisCircuitStore | null = options.redis
    ? createRedisCircuitStore({ url: options.redis.url, prefix: options.redis.prefix })
    : null;
  const switchboard: Switchboard = await createSwitchboard({
    database,
    dataDir: options.dataDir,
    mode: options.mode,
    replyTokens,
    backends: await chosenBackends(backends, options.logger),
    faults: { enabled: settings.faultInjection, allowInProduction: settings.faultInjection },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(sharedCircuits ? { sharedCircuits } : {}),
    ...(gmail?.transport ? { emailTransport: gmail.transport } : {}),
    ...options.switchboard,
  });
  const bus: EventBus = options.redis
    ? createRedisEventBus({
        url: options.redis.url,
        prefix: options.redis.prefix,
        ...(options.logger ? { logger: options.logger } : {}),
      })
    : createInProcessEventBus();
  // Several processes on PostgreSQL need a lock they all see; one embedded process needs only its own.
  const lock: ConversationLock =
    database.kind === 'postgres'
      ? createAdvisoryConversationLock(database.pool)
      : createInProcessConversationLock();

  let queue: JobQueue | null = null;
  const lateQueue: JobQueue = {
    enqueue: (type, payload, enqueueOptions) => queue!.enqueue(type, payload, enqueueOptions),
    counts: () => queue!.counts(),
    close: async () => {},
  };
  // One outbox for what conversations send: the agent's replies (turns) and a human's (the console).
  const mail = createOutbox({ db: database.pool, ...defaultSender, replyTokens });
  const turns = createTurnProcessor({
    pool: database.pool,
    agent: switchboard.agent,
    store: switchboard.store,
    bus,
    lock,
    scheduler: turnSchedulerOf(lateQueue),
    mail,
    ...(options.publicBaseUrl
      ? {
          csatLink: (conversationId: string) =>
            csatLinkUrl(options.publicBaseUrl!, csatLinkToken(csatLinks, conversationId)),
        }
      : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  if (options.knowledgeSources) {
    await recordGuideSettings(database.pool, options.knowledgeSources.zendeskGuide);
  }
  const webhooks = createOutboundWebhooks({
    pool: database.pool,
    vault,
    jobs: lateQueue,
    ...(settings.outboundWebhooks ? { settings: settings.outboundWebhooks } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const handlers: JobHandlers = createJobHandlers({
    pool: database.pool,
    webhooks,
    switchboard,
    bus,
    jobs: lateQueue,
    turns,
    inboundMail,
    dataDir: options.dataDir,
    vault,
    ...(options.knowledgeSources ? { knowledgeSources: options.knowledgeSources } : {}),
    // The Google Drive knowledge source reads with the shared Google connection.
    google,
    ...(gmail?.channel
      ? {
          gmail: {
            channel: gmail.channel,
            ...(options.gmail?.topicName ? { topicName: options.gmail.topicName } : {}),
          },
        }
      : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  let workers: BullWorkers | null = null;
  let bullJobs: BullJobs | null = null;
  if (options.redis) {
    bullJobs = createBullJobs({ url: options.redis.url, prefix: options.redis.prefix });
    queue = bullJobs;
    if (options.runWorkers) {
      workers = createBullWorkers({
        url: options.redis.url,
        prefix: options.redis.prefix,
        handlers,
        concurrency: options.concurrency ?? 2,
        ...(options.workerTuning?.lockDurationMs
          ? { lockDurationMs: options.workerTuning.lockDurationMs }
          : {}),
        ...(options.workerTuning?.stalledIntervalMs
          ? { stalledIntervalMs: options.workerTuning.stalledIntervalMs }
          : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
    }
  } else {
    queue = createInProcessJobs({
      handlers,
      concurrency: options.concurrency ?? 2,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  // Without Redis no scheduler is shared between processes: this one polls Gmail itself (and starts
  // the push watch); with BullMQ the worker's repeatable jobs do (jobs/gmail-sync-job.ts).
  let gmailPoll: NodeJS.Timeout | undefined;
  if (gmail?.channel && !options.redis) {
    const inProcess = queue;
    const poll = () =>
      inProcess
        .enqueue('gmail.sync', { reason: 'poll' }, { jobId: 'gmail.sync' })
        .catch((error: unknown) =>
          options.logger?.error({ err: error }, 'the Gmail poll could not be queued'),
        );
    const everyMs = options.gmail?.pollIntervalMs ?? 60_000;
    if (everyMs > 0) {
      void poll();
      gmailPoll = setInterval(poll, everyMs);
      gmailPoll.unref();
    }
    if (options.gmail?.topicName)
      void inProcess.enqueue('gmail.watch', { reason: 'startup' }).catch(() => {});
  }

  const instanceId = randomUUID();
  // Faults an admin arms in any process reach this one's connector calls (workers included).
  const stopFaultSync = settings.faultInjection
    ? await bus.subscribe(controlChannel, (event) => {
        if (event.kind !== 'faults' || event.origin === instanceId) return;
        try {
          if (event.action === 'clear') switchboard.faults.clear();
          else if (event.fault) switchboard.faults.arm(event.fault);
        } catch (error) {
          options.logger?.error({ err: error }, 'a fault from another process could not be applied');
        }
      })
    : null;

  // An admin's backend switch in any process (the API's admin page) reaches this one's gateway.
  const stopBackendSync = await bus.subscribe(controlChannel, (event) => {
    if (event.kind !== 'backends' || event.origin === instanceId) return;
    void backends
      .build(event.connectorKind)
      .then((definition) => switchboard.useBackend(event.connectorKind, definition))
      .catch((error: unknown) =>
        options.logger?.error(
          { err: error, kind: event.connectorKind },
          'a backend switch could not be applied',
        ),
      );
  });

  // The admin's custom connectors (HTTP, MCP) join this process's gateway now and after every
  // change any process announces.
  const customConnectors = createCustomConnectorSync({
    db: database.pool,
    gateway: switchboard.gateway,
    builders: customConnectorBuilders,
    deps: {
      vault,
      ...(options.mcpClient ? { mcp: options.mcpClient } : {}),
      directory: createContactDirectory(database.pool),
      outbound: { allowedHosts: settings.customConnectorAllowedHosts ?? [] },
    },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await customConnectors.reload();
  const stopCustomConnectorSync = await bus.subscribe(controlChannel, (event) => {
    if (event.kind !== 'custom_connectors' || event.origin === instanceId) return;
    customConnectors
      .reload()
      .catch((error: unknown) =>
        options.logger?.error({ err: error }, 'custom connectors could not be reloaded'),
      );
  });

  // The admin's declarative procedures join this process's agent now (after the custom connectors
  // they may use) and after every change any process announces.
  await switchboard.procedures.reload();
  const stopProcedureSync = await bus.subscribe(controlChannel, (event) => {
    if (event.kind !== 'procedures' || event.origin === instanceId) return;
    switchboard.procedures
      .reload()
      .catch((error: unknown) => options.logger?.error({ err: error }, 'procedures could not be reloaded'));
  });

  const identity = createCustomerIdentity({
    pool: database.pool,
    identities: switchboard.identities,
    ...options.identity,
  });
  const context: ApiContext = {
    database,
    switchboard,
    jobs: queue,
    bus,
    conversationLock: lock,
    identity,
    vault,
    settings,
    instanceId,
    backends,
    customConnectors,
    webhooks,
    mail,
    csatLinks,
    google,
    ...(gmail?.push ? { gmailPush: gmail.push } : {}),
  };
  return {
    context,
    turns,
    bullJobs,
    inboundMail,
    ready: async () => {
      await workers?.ready();
    },
    async close() {
      await stopFaultSync?.();
      await stopBackendSync();
      await stopCustomConnectorSync();
      await stopProcedureSync();
      if (gmailPoll) clearInterval(gmailPoll);
      await workers?.close({ graceMs: options.workerTuning?.shutdownGraceMs ?? 30_000 });
      await queue?.close();
      await bus.close();
      await switchboard.close();
      await customConnectors.close();
      await sharedCircuits?.dispose();
    },
  };
}

/** The vendor backend of each kind the configuration or the admin chose (built-in kinds are left out). */
async function chosenBackends(
  selection: BackendSelection,
  logger: Logger | undefined,
): Promise<Partial<Record<SelectableKind, ConnectorDefinition>>> {
  const chosen: Partial<Record<SelectableKind, ConnectorDefinition>> = {};
  for (const kind of selectableKinds) {
    const definition = await selection.build(kind);
    if (!definition) continue;
    chosen[kind] = definition;
    const problem = unavailableReason(definition);
    if (problem)
      logger?.error(
        { kind, problem },
        'the chosen backend cannot be built: this kind is unavailable until fixed',
      );
    else logger?.info({ kind, backend: definition.title }, 'connector kind runs on a vendor backend');
  }
  return chosen;
}
