import type pg from 'pg';
import type { WebhookEventType } from '../../db/webhook-events.ts';
import type { DeliveryStatus } from './deliveries.ts';

/** One attempt in the delivery log. */
export interface DeliveryAttempt {
  attempt: number;
  /** The first attempt after a redelivery by hand. */
  manual: boolean;
  startedAt: string;
  responseCode: number | null;
  latencyMs: number;
  error: string | null;
  /** When the next attempt is due, if one was scheduled after this one. */
  nextRetryAt: string | null;
}

/** A delivery as the admin page lists it. */
export interface DeliverySummary {
  id: string;
  subscriptionId: string;
  url: string;
  eventId: string;
  eventType: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  lastResponseCode: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  url: string;
  event_id: string;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  last_response_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  delivered_at: Date | null;
}

const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);

const summaryOf = (row: DeliveryRow): DeliverySummary => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  url: row.url,
  eventId: row.event_id,
  eventType: row.type,
  status: row.status,
  attempts: row.attempts,
  lastResponseCode: row.last_response_code,
  lastLatencyMs: row.last_latency_ms,
  lastError: row.last_error,
  nextAttemptAt: iso(row.next_attempt_at),
  createdAt: iso(row.created_at)!,
  deliveredAt: iso(row.delivered_at),
});

const selectDeliveries = `SELECT d.*, s.url, e.type FROM webhook_deliveries d
  JOIN webhook_subscriptions s ON s.id = d.subscription_id JOIN webhook_events e ON e.id = d.event_id`;

/** Reads the delivery log: newest deliveries first, and one delivery with every attempt. */
export function createDeliveryLog(pool: pg.Pool) {
  return {
    async list(filter: {
      subscriptionId?: string;
      status?: DeliveryStatus;
      limit: number;
    }): Promise<DeliverySummary[]> {
      const { rows } = await pool.query<DeliveryRow>(
        `${selectDeliveries}
         WHERE ($1::text IS NULL OR d.subscription_id = $1) AND ($2::text IS NULL OR d.status = $2)
         ORDER BY d.created_at DESC, d.id DESC LIMIT $3`,
        [filter.subscriptionId ?? null, filter.status ?? null, filter.limit],
      );
      return rows.map(summaryOf);
    },

    async get(
      id: string,
    ): Promise<(DeliverySummary & { payload: Record<string, unknown>; log: DeliveryAttempt[] }) | null> {
      const { rows } = await pool.query<DeliveryRow & { payload: Record<string, unknown> }>(
        `${selectDeliveries.replace('e.type', 'e.type, e.payload')} WHERE d.id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) return null;
      const attempts = await pool.query<{
        attempt: number;
        manual: boolean;
        started_at: Date;
        response_code: number | null;
        latency_ms: number;
        error: string | null;
        next_retry_at: Date | null;
      }>('SELECT * FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY id', [id]);
      return {
        ...summaryOf(row),
        payload: row.payload,
        log: attempts.rows.map((attempt) => ({
          attempt: attempt.attempt,
          manual: attempt.manual,
          startedAt: iso(attempt.started_at)!,
          responseCode: attempt.response_code,
          latencyMs: attempt.latency_ms,
          error: attempt.error,
          nextRetryAt: iso(attempt.next_retry_at),
        })),
      };
    },
  };
}
