import { z } from 'zod';
import { backendSettings } from './backends.ts';
import { customConnectorSettings } from './custom-connectors.ts';
import { gmailConfigShape } from './gmail.ts';
import { knowledgeSourceSettings } from './knowledge-sources.ts';
import {
  databaseSettings,
  loadConfig,
  logSettings,
  modeSettings,
  publicUrlSettings,
  reasonerSettings,
} from './load.ts';
import { mcpClientSettings } from './mcp-client.ts';
import { retentionSettings } from './retention.ts';
import { webhookSettings } from './webhooks.ts';

/**
 * Settings of the job workers (`npm run worker`). Workers share the API's PostgreSQL database and
 * Redis; without Redis the API runs every job in its own process and no worker is needed.
 */
export const workerConfigSchema = z.object({
  ...databaseSettings,
  ...logSettings,
  ...modeSettings,
  ...publicUrlSettings,
  ...reasonerSettings,
  ...backendSettings,
  ...knowledgeSourceSettings,
  ...retentionSettings,
  ...webhookSettings,
  ...mcpClientSettings,
  ...customConnectorSettings,
  DATABASE_URL: z.url({
    protocol: /^postgres(ql)?$/,
    error:
      'must be the postgres:// URL the API uses: workers share its database (embedded PGlite can be opened by one process only; without Redis the API runs jobs itself)',
  }),
  REDIS_URL: z.url({
    protocol: /^rediss?$/,
    error: 'must be a redis:// URL: `npm run worker` takes jobs from BullMQ on Redis',
  }),
  /** Key prefix of the queues and live-event channels; the API must use the same one. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -')
    .default('switchboard'),
  /** Jobs of one type this process runs at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** On SIGTERM: how long in-flight jobs may finish before they are handed back to the queue. */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  /** A job's lock: a worker that dies holding it frees the job this long after its last renewal. */
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1_000).default(10_000),
  /** How often each worker looks for jobs whose worker died. */
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(5_000),
  /** SMTP server for outgoing mail (`smtp://user:pass@host:port`); unset: .eml files under DATA_DIR/outbox. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  /** Gmail as the email channel / sender (config/gmail.ts). */
  ...gmailConfigShape,
  /**
   * The name in the Authentication-Results of received mail: the same as the API's
   * INBOUND_SMTP_AUTHSERV_ID (workers authenticate the mail the inbound server queued).
   */
  INBOUND_SMTP_AUTHSERV_ID: z.string().min(1).max(255).optional(),
  /** Master keys of the credentials vault, the same as the API's (see .env.example). */
  MASTER_KEY: z.string().min(1).optional(),
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export const loadWorkerConfig = (source?: Record<string, string | undefined>): WorkerConfig =>
  loadConfig(workerConfigSchema, source);
