import { z } from 'zod';
import { allowedHostsSetting } from './allowed-hosts.ts';

/**
 * Outbound webhooks (docs/webhooks.md). Every process that delivers them (the API with in-process
 * jobs, the workers) reads the same settings.
 */
export const webhookSettings = {
  /**
   * Private, loopback or link-local destinations webhooks may still be sent to, comma-separated: IP
   * addresses, CIDR ranges or host names (e.g. `10.20.0.0/16,n8n.internal`). Unset: public only.
   */
  WEBHOOK_ALLOWED_HOSTS: allowedHostsSetting,
  /** Attempts per delivery before it is marked failed. */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** The first retry's wait; each next one doubles. */
  WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Longest wait for an endpoint's answer, per attempt. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Days an event and its delivery log are kept once every delivery of it is settled. */
  WEBHOOK_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
};

/** The delivery settings of a loaded configuration. */
export function outboundWebhookSettingsOf(config: {
  WEBHOOK_ALLOWED_HOSTS: string[];
  WEBHOOK_MAX_ATTEMPTS: number;
  WEBHOOK_BACKOFF_MS: number;
  WEBHOOK_TIMEOUT_MS: number;
  WEBHOOK_EVENT_RETENTION_DAYS: number;
}) {
  return {
    allowList: config.WEBHOOK_ALLOWED_HOSTS,
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    backoffMs: config.WEBHOOK_BACKOFF_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    eventRetentionDays: config.WEBHOOK_EVENT_RETENTION_DAYS,
  };
}
