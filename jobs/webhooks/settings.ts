import type { HostResolver } from '../../connectors/core/address-guard.ts';

/** How outbound webhooks are delivered (config: WEBHOOK_* settings; tests pass their own). */
export interface OutboundWebhookSettings {
  /**
   * Private, loopback or link-local addresses webhooks may still be sent to: IPs, CIDR ranges or host
   * names (WEBHOOK_ALLOWED_HOSTS). Empty by default: only public addresses.
   */
  allowList: string[];
  /** Attempts per delivery before it is marked failed. Default 8. */
  maxAttempts: number;
  /** Attempt n waits `backoffMs × 2^(n−1)` after a failure. Default 30 s (8 attempts ≈ 1 h). */
  backoffMs: number;
  /** Longest wait for an endpoint's answer, per attempt. Default 10 s. */
  timeoutMs: number;
  /**
   * Days an event (with its deliveries and their attempt log) is kept once every delivery of it is
   * delivered or failed; pending and retrying ones are never pruned. Default 30.
   */
  eventRetentionDays: number;
  /** Host name resolution (tests); default `dns.lookup` with every address. */
  resolver?: HostResolver;
}

export const defaultOutboundWebhookSettings: OutboundWebhookSettings = {
  allowList: [],
  maxAttempts: 8,
  backoffMs: 30_000,
  timeoutMs: 10_000,
  eventRetentionDays: 30,
};

/** The wait before the attempt after failed attempt `attempt` (1-based): exponential, as BullMQ computes it. */
export function webhookRetryDelayMs(
  settings: Pick<OutboundWebhookSettings, 'backoffMs'>,
  attempt: number,
): number {
  return settings.backoffMs * 2 ** Math.max(0, attempt - 1);
}
