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
import { supportHoursSettings } from './support-hours.ts';
import { webhookSettings } from './webhooks.ts';

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((value) => value === 'true');

/** Settings of the API server (`npm start`). */
export const apiConfigSchema = z.object({
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
  ...supportHoursSettings,
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Seed the Lumen Cloud demo world on the first start of an empty embedded database. */
  SEED_ON_FIRST_START: flag('true'),
  /** Redis for BullMQ queues and live events; unset: the in-process job runner (embedded default). */
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// URL, or unset for the in-process runner' })
    .optional(),
  /** Key prefix of the queues and live-event channels; workers must use the same one. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -')
    .default('switchboard'),
  /** With REDIS_URL: also run workers inside the API process (a single-box deployment). */
  API_RUNS_WORKERS: flag('false'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** HS256 secret the company's backend signs customer identity tokens with (≥ 32 characters). */
  IDENTITY_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Or: a JWKS URL with the backend's public keys (RS256 / ES256). */
  IDENTITY_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  IDENTITY_ISSUER: z.string().min(1).optional(),
  IDENTITY_AUDIENCE: z.string().min(1).optional(),
  /** Longest lifetime (exp − iat, seconds) an identity token may declare; at most 24 h. */
  IDENTITY_TOKEN_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(86_400).default(86_400),
  /**
   * Days a customer's conversation access token lives without use; every use extends it (sliding).
   * Sign-out revokes it, and it is replaced when a one-time code verifies the visitor.
   */
  CONVERSATION_TOKEN_TTL_DAYS: z.coerce.number().min(0.001).max(365).default(30),
  /** Console cookies carry `Secure` (default: on in production mode). */
  COOKIE_SECURE: z.enum(['true', 'false']).optional(),
  /** Origins allowed to embed the chat widget (comma-separated), or * for any. */
  WIDGET_ALLOWED_ORIGINS: z
    .string()
    .default('*')
    .transform((value) =>
      value.trim() === '*'
        ? ('*' as const)
        : value
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean),
    )
    .pipe(z.union([z.literal('*'), z.array(z.url({ protocol: /^https?$/ })).min(1)])),
  RATE_LIMIT_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_MESSAGES_PER_CONVERSATION_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** SMTP server for outgoing mail (`smtp://user:pass@host:port`); unset: .eml files under DATA_DIR/outbox. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  /** Gmail as the email channel / sender (config/gmail.ts). */
  ...gmailConfigShape,
  /** Receive support mail over SMTP on this port (loopback, behind your MTA); unset: no inbound mail. */
  INBOUND_SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  INBOUND_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Addresses of the MTAs in front of the inbound SMTP server trusted to name the original client
   * with XCLIENT or XFORWARD (comma-separated IPs), so SPF checks the sender's server, not the relay.
   */
  INBOUND_SMTP_TRUSTED_RELAYS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.union([z.ipv4(), z.ipv6()]))),
  /** The name this server gives itself in the Authentication-Results of received mail (default: the host name). */
  INBOUND_SMTP_AUTHSERV_ID: z.string().min(1).max(255).optional(),
  /** Bearer token a Prometheus scraper sends to read /metrics; unset: only a signed-in admin may. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Master keys of the credentials vault (see .env.example); unset: DATA_DIR/master.key. */
  MASTER_KEY: z.string().min(1).optional(),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export const loadApiConfig = (source?: Record<string, string | undefined>): ApiConfig =>
  loadConfig(apiConfigSchema, source);

/** Embedded unless PostgreSQL is configured, or the mode is set explicitly. */
export const resolvedMode = (
  config: Pick<ApiConfig, 'SWITCHBOARD_MODE' | 'DATABASE_URL'>,
): 'embedded' | 'production' => config.SWITCHBOARD_MODE ?? (config.DATABASE_URL ? 'production' : 'embedded');
