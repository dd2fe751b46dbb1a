import type pg from 'pg';
import pino, { type Logger } from 'pino';
import type { AddressGuard } from '../../connectors/core/address-guard.ts';
import type { CredentialVault } from '../../connectors/core/vault.ts';
import { withTransaction } from '../../db/database.ts';
import type { WebhookEventType } from '../../db/webhook-events.ts';
import type { JobQueue } from '../catalog.ts';
import { postWebhook } from './post.ts';
import { type OutboundWebhookSettings, webhookRetryDelayMs } from './settings.ts';
import { signatureHeader, signatureHeaderValue } from './signature.ts';
import { secretVaultConnector } from './subscriptions.ts';

/** Where a delivery stands. */
export type DeliveryStatus = 'pending' | 'sending' | 'retrying' | 'delivered' | 'failed';

/** The body every delivery POSTs (JSON): the event's envelope. */
export interface WebhookEnvelope {
  id: string;
  type: WebhookEventType;
  /** When the event happened (ISO 8601). */
  createdAt: string;
  data: Record<string, unknown>;
}

/** What one `deliver()` call did. */
export type DeliverOutcome = 'delivered' | 'retrying' | 'failed' | 'skipped';

interface ClaimedRow {
  id: string;
  attempts: number;
  attempt_limit: number | null;
  manual: boolean;
  subscription_id: string;
  url: string;
  enabled: boolean;
  event_id: string;
  type: WebhookEventType;
  payload: Record<string, unknown>;
  occurred_at: Date;
}

/** The job id of a delivery's attempt, so the sweep and a retry enqueue the same attempt once. */
export const deliveryJobId = (deliveryId: string, attempt: number) => `webhook:${deliveryId}:${attempt}`;

/**
 * Sends deliveries. Each attempt is one `webhook.deliver` job (BullMQ, or the in-process runner):
 * it claims the row with a lease (so two workers never send one delivery at once, and nothing is held
 * open while the endpoint answers), POSTs the signed envelope, writes the attempt to the log and
 * either marks the delivery delivered, schedules the next attempt with exponential backoff as a
 * delayed job, or — out of attempts — marks it failed and its subscription failing. The sweep
 * (`webhook.sweep`, every few seconds) enqueues whatever is due and was not enqueued: new
 * deliveries the triggers wrote, and any retry whose job was lost with a dead process.
 */
export function createWebhookDispatcher(deps: {
  pool: pg.Pool;
  vault: Pick<CredentialVault, 'get'>;
  jobs: JobQueue;
  guard: AddressGuard;
  settings: OutboundWebhookSettings;
  logger?: Logger;
  now?: () => Date;
}) {
  const { pool, settings } = deps;
  const logger = deps.logger ?? pino({ enabled: false });
  const now = deps.now ?? (() => new Date());
  // Long enough for the request and the bookkeeping after it; a dead worker's lease then runs out.
  const leaseMs = settings.timeoutMs + 30_000;
  const pruneEveryMs = 60 * 60_000;
  let lastPruneAt = Number.NEGATIVE_INFINITY;

  async function claim(deliveryId: string): Promise<ClaimedRow | null> {
    const { rows } = await pool.query<ClaimedRow>(
      `WITH claimed AS (
         UPDATE webhook_deliveries SET status = 'sending', lease_until = now() + make_interval(secs => $2::double precision / 1000)
         WHERE id = $1 AND (
           (status IN ('pending','retrying') AND next_attempt_at <= now())
           OR (status = 'sending' AND lease_until < now()))
         RETURNING id, attempts, attempt_limit, manual, subscription_id, event_id)
       SELECT c.*, s.url, s.enabled, e.type, e.payload, e.occurred_at
       FROM claimed c JOIN webhook_subscriptions s ON s.id = c.subscription_id
       JOIN webhook_events e ON e.id = c.event_id`,
      [deliveryId, leaseMs],
    );
    return rows[0] ?? null;
  }

  async function record(
    row: ClaimedRow,
    startedAt: Date,
    outcome: { responseCode: number | null; latencyMs: number; error: string | null; permanent: boolean },
    /** False when the endpoint was not tried (a disabled subscription): its health is unchanged. */
    tried = true,
  ): Promise<DeliverOutcome> {
    const attempt = row.attempts + 1;
    const limit = row.attempt_limit ?? settings.maxAttempts;
    const result: DeliverOutcome =
      outcome.error === null ? 'delivered' : outcome.permanent || attempt >= limit ? 'failed' : 'retrying';
    const nextRetryAt =
      result === 'retrying' ? new Date(now().getTime() + webhookRetryDelayMs(settings, attempt)) : null;
    const error = outcome.error?.slice(0, 500) ?? null;
    // The log line, the delivery and the endpoint's health change together.
    await withTransaction(pool, async (client) => {
      await client.query(
        `INSERT INTO webhook_delivery_attempts
           (delivery_id, attempt, manual, started_at, response_code, latency_ms, error, next_retry_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [row.id, attempt, row.manual, startedAt, outcome.responseCode, outcome.latencyMs, error, nextRetryAt],
      );
      await client.query(
        `UPDATE webhook_deliveries SET status = $2, attempts = $3, manual = false, next_attempt_at = $4,
           lease_until = NULL, last_response_code = $5, last_latency_ms = $6, last_error = $7,
           delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
         WHERE id = $1`,
        [row.id, result, attempt, nextRetryAt, outcome.responseCode, outcome.latencyMs, error],
      );
      if (result === 'delivered') {
        await client.query(
          `UPDATE webhook_subscriptions SET consecutive_failures = 0, failing_since = NULL WHERE id = $1`,
          [row.subscription_id],
        );
      } else if (tried) {
        // An endpoint whose delivery used up its attempts is failing until one gets through again.
        await client.query(
          `UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1,
             failing_since = CASE WHEN $2 THEN coalesce(failing_since, now()) ELSE failing_since END
           WHERE id = $1`,
          [row.subscription_id, result === 'failed'],
        );
      }
    });
    return result;
  }

  /** One attempt at `deliveryId`, if it is due and nobody else holds it. */
  async function deliver(deliveryId: string): Promise<DeliverOutcome> {
    const row = await claim(deliveryId);
    if (!row) return 'skipped';
    const startedAt = now();
    const secret = await deps.vault.get(secretVaultConnector, row.subscription_id);
    if (!row.enabled || !secret) {
      const reason = row.enabled ? 'the subscription has no signing secret' : 'the subscription is disabled';
      return record(
        row,
        startedAt,
        { responseCode: null, latencyMs: 0, error: reason, permanent: true },
        row.enabled,
      );
    }
    const envelope: WebhookEnvelope = {
      id: row.event_id,
      type: row.type,
      createdAt: new Date(row.occurred_at).toISOString(),
      data: row.payload,
    };
    const body = JSON.stringify(envelope);
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const outcome = await postWebhook({
      url: row.url,
      body,
      timeoutMs: settings.timeoutMs,
      guard: deps.guard,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Switchboard-Webhooks/1',
        [signatureHeader]: signatureHeaderValue(secret, timestamp, body),
        'switchboard-event-id': row.event_id,
        'switchboard-event-type': row.type,
        'switchboard-delivery-id': row.id,
      },
    });
    const result = await record(row, startedAt, outcome);
    // The URL and outcome only: never the body's data or the secret.
    const entry = {
      deliveryId: row.id,
      subscriptionId: row.subscription_id,
      eventType: row.type,
      attempt: row.attempts + 1,
      responseCode: outcome.responseCode,
      latencyMs: outcome.latencyMs,
      result,
    };
    if (result === 'delivered') logger.info(entry, 'webhook delivered');
    else logger.warn({ ...entry, error: outcome.error }, 'webhook attempt failed');
    if (result === 'retrying') {
      const delayMs = webhookRetryDelayMs(settings, row.attempts + 1);
      // If this enqueue is lost, the sweep enqueues the retry once it is due.
      await deps.jobs
        .enqueue(
          'webhook.deliver',
          { deliveryId: row.id },
          { jobId: deliveryJobId(row.id, row.attempts + 2), delayMs },
        )
        .catch((error: unknown) =>
          logger.error({ err: error, deliveryId: row.id }, 'enqueueing a webhook retry failed'),
        );
    }
    return result;
  }

  /**
   * Deletes events older than the retention whose deliveries are all settled (delivered or failed),
   * with their deliveries and attempt log (ON DELETE CASCADE); at most `limit` per call, so a sweep
   * stays short. Pending, retrying and sending deliveries keep their event whatever its age.
   */
  async function prune(limit = 500): Promise<number> {
    const { rowCount } = await pool.query(
      `DELETE FROM webhook_events WHERE id IN (
         SELECT e.id FROM webhook_events e
         WHERE e.occurred_at < $1::timestamptz - make_interval(days => $2::int)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                           WHERE d.event_id = e.id AND d.status NOT IN ('delivered','failed'))
         ORDER BY e.occurred_at LIMIT $3)`,
      [now(), settings.eventRetentionDays, limit],
    );
    return rowCount ?? 0;
  }

  /** Enqueues every delivery that is due (or whose sender died); returns how many. */
  async function sweep(limit = 200): Promise<number> {
    // Pruning rides on the sweep at most hourly per process: the delete is bounded and indexed.
    if (now().getTime() - lastPruneAt >= pruneEveryMs) {
      lastPruneAt = now().getTime();
      const pruned = await prune();
      if (pruned > 0) logger.info({ pruned }, 'settled webhook events past retention pruned');
    }
    const { rows } = await pool.query<{ id: string; attempts: number }>(
      `SELECT id, attempts FROM webhook_deliveries
       WHERE (status IN ('pending','retrying') AND next_attempt_at <= now())
          OR (status = 'sending' AND lease_until < now())
       ORDER BY next_attempt_at LIMIT $1`,
      [limit],
    );
    for (const row of rows) {
      await deps.jobs.enqueue(
        'webhook.deliver',
        { deliveryId: row.id },
        { jobId: deliveryJobId(row.id, row.attempts + 1) },
      );
    }
    return rows.length;
  }

  /**
   * Redelivery by hand: the delivery (delivered or failed) is due again now, with a fresh round of
   * attempts, and its job is enqueued. False when there is no such delivery or it is being sent.
   */
  async function redeliver(deliveryId: string): Promise<boolean> {
    const { rows } = await pool.query<{ attempts: number }>(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), manual = true,
         attempt_limit = attempts + $2
       WHERE id = $1 AND status IN ('delivered','failed','retrying','pending')
       RETURNING attempts`,
      [deliveryId, settings.maxAttempts],
    );
    const row = rows[0];
    if (!row) return false;
    await deps.jobs.enqueue(
      'webhook.deliver',
      { deliveryId },
      // Its own job id: a retry of this delivery may still sit delayed under the attempt's id.
      { jobId: `${deliveryJobId(deliveryId, row.attempts + 1)}:manual:${now().getTime()}` },
    );
    return true;
  }

  return { deliver, sweep, redeliver, prune };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
