import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { loadOrCreateMasterKey, type MasterKeys } from '../connectors/core/master-key.ts';
import { createVault } from '../connectors/core/vault.ts';
import { defaultSender } from '../connectors/email/connector.ts';
import { createOutbox } from '../connectors/email/outbox.ts';
import type { Database } from '../db/database.ts';
import { type BullJobs, createBullJobs, createBullWorkers } from '../jobs/bullmq-jobs.ts';
import type { BullWorkers } from '../jobs/bullmq-workers.ts';
import type { JobHandlers, JobQueue } from '../jobs/catalog.ts';
import {
  type ConversationLock,
  createAdvisoryConversationLock,
  createInProcessConversationLock,
} from '../jobs/conversation-lock.ts';
import { createJobHandlers } from '../jobs/handlers.ts';
import { createInProcessEventBus } from '../jobs/in-process-event-bus.ts';
import { createInProcessJobs } from '../jobs/in-process-jobs.ts';
import { controlChannel, type EventBus } from '../jobs/live-events.ts';
import { createRedisEventBus } from '../jobs/redis-event-bus.ts';
import { createTurnProcessor, type TurnProcessor } from '../jobs/turn-processor.ts';
import { type ApiContext, type ApiSettings, defaultApiSettings } from './context.ts';
import { type CustomerIdentityOptions, createCustomerIdentity } from './customer/identity.ts';
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
  /** BullMQ worker tuning (stalled-job recovery): see `createBullWorkers`. */
  workerTuning?: { lockDurationMs?: number; stalledIntervalMs?: number; shutdownGraceMs?: number };
  identity?: Omit<CustomerIdentityOptions, 'pool'>;
  settings?: Partial<ApiSettings>;
  masterKeys?: MasterKeys;
  /** Extra composition-root options (tests: a fixed clock, fast resilience, a reasoner). */
  switchboard?: Partial<SwitchboardOptions>;
}

export interface ApiRuntime {
  context: ApiContext;
  turns: TurnProcessor;
  /** The BullMQ queue (with repeatable schedules), when Redis is configured. */
  bullJobs: BullJobs | null;
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
    ...options.settings,
  };
  const switchboard: Switchboard = await createSwitchboard({
    database,
    dataDir: options.dataDir,
    mode: options.mode,
    faults: { enabled: settings.faultInjection, allowInProduction: settings.faultInjection },
    ...(options.logger ? { logger: options.logger } : {}),
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
  const turns = createTurnProcessor({
    pool: database.pool,
    agent: switchboard.agent,
    bus,
    lock,
    jobs: lateQueue,
    mail: createOutbox({ db: database.pool, ...defaultSender }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const handlers: JobHandlers = createJobHandlers({
    pool: database.pool,
    switchboard,
    bus,
    jobs: lateQueue,
    turns,
    dataDir: options.dataDir,
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

  const masterKeys = options.masterKeys ?? (await loadOrCreateMasterKey(options.dataDir));
  const identity = createCustomerIdentity({ pool: database.pool, ...options.identity });
  const context: ApiContext = {
    database,
    switchboard,
    jobs: queue,
    bus,
    conversationLock: lock,
    identity,
    vault: createVault({ db: database.pool, masterKeys }),
    settings,
    instanceId,
  };
  return {
    context,
    turns,
    bullJobs,
    ready: async () => {
      await workers?.ready();
    },
    async close() {
      await stopFaultSync?.();
      await workers?.close({ graceMs: options.workerTuning?.shutdownGraceMs ?? 30_000 });
      await queue?.close();
      await bus.close();
      await switchboard.close();
    },
  };
}
