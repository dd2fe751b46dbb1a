import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeliveryDetail,
  type WebhookSubscription,
  webhookEnvelopeSchema,
} from '../../api/contract/outbound-webhooks.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { verifyWebhookSignature } from './signature.ts';
import { freePort, startReceiver } from './testing/receiver.ts';

let api: TestApi;
let as: Awaited<ReturnType<typeof adminOf>>;
const receivers: Array<{ close(): Promise<void> }> = [];

const timeoutMs = 400;

beforeAll(async () => {
  api = await createTestApi({
    seed: false,
    settings: {
      outboundWebhooks: { allowList: ['127.0.0.1'], maxAttempts: 3, backoffMs: 50, timeoutMs },
    },
  });
  as = await adminOf(api);
}, 120_000);

async function adminOf(of: TestApi) {
  const admin = await loginAs(of.app, of.database.pool, 'admin');
  return (options: InjectOptions) =>
    of.app.inject({
      ...options,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
    });
}

afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await api?.close();
});

async function receiver(options: Parameters<typeof startReceiver>[0] = {}) {
  const started = await startReceiver(options);
  receivers.push(started);
  return started;
}

async function subscribe(
  url: string,
  events: string[],
): Promise<{ subscription: WebhookSubscription; secret: string }> {
  const response = await as({ method: 'POST', url: '/api/admin/webhooks', payload: { url, events } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

/** Stores an escalation the way the console sees one: a conversation row and its escalation row. */
async function escalate(
  reason = 'customer_requested',
  packet: Record<string, unknown> = {},
): Promise<string> {
  const conversationId = `conv_${randomBytes(6).toString('hex')}`;
  const escalationId = `esc_${randomBytes(6).toString('hex')}`;
  await api.database.pool.query(
    `INSERT INTO conversations (id, channel, status) VALUES ($1, 'chat', 'escalated')`,
    [conversationId],
  );
  await api.database.pool.query(
    `INSERT INTO escalations (id, conversation_id, reason, priority, packet) VALUES ($1, $2, $3, 'high', $4)`,
    [escalationId, conversationId, reason, JSON.stringify(packet)],
  );
  return conversationId;
}

async function deliveriesOf(subscriptionId: string) {
  const response = await as({
    method: 'GET',
    url: `/api/admin/webhooks/deliveries?subscriptionId=${subscriptionId}`,
  });
  expect(response.statusCode).toBe(200);
  return response.json().deliveries as DeliveryDetail[];
}

/** Runs the sweep job (as the scheduler does every few seconds) until the delivery reaches `status`. */
async function settle(subscriptionId: string, status: string, waitMs = 15_000): Promise<DeliveryDetail> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    await api.context.jobs.enqueue('webhook.sweep', { reason: 'test' }, { jobId: 'webhook-sweep-test' });
    const [delivery] = await deliveriesOf(subscriptionId);
    if (delivery?.status === status) {
      const detail = await as({ method: 'GET', url: `/api/admin/webhooks/deliveries/${delivery.id}` });
      return detail.json();
    }
    if (Date.now() > deadline) throw new Error(`delivery not ${status}: ${JSON.stringify(delivery)}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

describe('outbound webhook subscriptions', () => {
  it('generates the secret server-side, shows it once and keeps it only encrypted', async () => {
    const endpoint = await receiver();
    const { subscription, secret } = await subscribe(endpoint.url, ['conversation.escalated']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(subscription).toMatchObject({ url: endpoint.url, state: 'healthy', enabled: true });

    const list = await as({ method: 'GET', url: '/api/admin/webhooks' });
    expect(list.body).toContain(subscription.id);
    expect(list.body).not.toContain(secret);
    const { rows } = await api.database.pool.query(
      `SELECT ciphertext FROM connector_credentials WHERE connector_id = 'webhooks' AND field = $1`,
      [subscription.id],
    );
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0].ciphertext).toString('latin1')).not.toContain(secret.slice(6, 20));
    const stored = await api.database.pool.query(
      `SELECT s::text AS row FROM webhook_subscriptions s UNION ALL
       SELECT a.detail::text FROM audit_log a WHERE a.connector_id = 'webhooks'`,
    );
    expect(stored.rows.length).toBeGreaterThanOrEqual(2);
    for (const row of stored.rows) expect(row.row).not.toContain(secret);
    const audit = await api.database.pool.query(
      `SELECT operation FROM audit_log WHERE connector_id = 'webhooks' AND detail->>'subscriptionId' = $1`,
      [subscription.id],
    );
    expect(audit.rows).toEqual([{ operation: 'admin.create_webhook' }]);
  });

  it('refuses private, loopback and link-local addresses the allow-list does not name', async () => {
    for (const url of [
      'http://10.0.0.5/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:8080/x',
      'http://0.0.0.0/',
    ]) {
      const response = await as({
        method: 'POST',
        url: '/api/admin/webhooks',
        payload: { url, events: ['action.executed'] },
      });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error.message).toContain('allow-list');
    }
    const notHttp = await as({
      method: 'POST',
      url: '/api/admin/webhooks',
      payload: { url: 'ftp://127.0.0.1/x', events: ['action.executed'] },
    });
    expect(notHttp.statusCode).toBe(400);
    const unknownEvent = await as({
      method: 'POST',
      url: '/api/admin/webhooks',
      payload: { url: 'http://127.0.0.1/x', events: ['conversation.deleted'] },
    });
    expect(unknownEvent.statusCode).toBe(400);
    expect(
      (
        await api.database.pool.query(
          'SELECT count(*)::int AS n FROM webhook_subscriptions WHERE url LIKE $1',
          ['%10.0.0.5%'],
        )
      ).rows[0].n,
    ).toBe(0);
  });

  it('is for admins only', async () => {
    const agent = await loginAs(api.app, api.database.pool, 'agent');
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/admin/webhooks',
      headers: { cookie: agent.cookie },
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('outbound webhook delivery', () => {
  it('retries an endpoint that answers 500, then delivers the signed event once', async () => {
    const endpoint = await receiver({ plan: [500, 200] });
    const { subscription, secret } = await subscribe(endpoint.url, ['conversation.escalated']);
    endpoint.verifyWith(secret);
    const conversationId = await escalate();

    const delivery = await settle(subscription.id, 'delivered');
    expect(endpoint.received.map((request) => [request.verified, request.answered])).toEqual([
      [true, 500],
      [true, 200],
    ]);
    expect(new Set(endpoint.received.map((request) => request.eventId)).size).toBe(1);
    expect(delivery.attempts).toBe(2);
    expect(delivery.log.map((attempt) => attempt.responseCode)).toEqual([500, 200]);
    expect(delivery.log[0]!.nextRetryAt).not.toBeNull();
    expect(delivery.log[0]!.error).toBe('endpoint answered 500');
    expect(delivery.log[1]!.nextRetryAt).toBeNull();
    expect(delivery.log.every((attempt) => attempt.latencyMs >= 0)).toBe(true);

    const envelope = webhookEnvelopeSchema.parse(JSON.parse(endpoint.received[1]!.body));
    expect(envelope).toMatchObject({
      type: 'conversation.escalated',
      data: { conversationId, reason: 'customer_requested', priority: 'high', channel: 'chat' },
    });
    // Later sweeps find nothing due: the delivery is sent once.
    await api.context.jobs.enqueue('webhook.sweep', {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(endpoint.received).toHaveLength(2);
  });

  it('marks an endpoint that stays down failing without losing the event, and redelivers by hand', async () => {
    const port = await freePort();
    const { subscription, secret } = await subscribe(`http://127.0.0.1:${port}/hooks/switchboard`, [
      'conversation.escalated',
    ]);
    await escalate();
    const failed = await settle(subscription.id, 'failed');
    expect(failed.attempts).toBe(3);
    expect(failed.log.map((attempt) => attempt.responseCode)).toEqual([null, null, null]);
    expect(failed.log[2]!.nextRetryAt).toBeNull();
    expect(failed.log[0]!.error).toMatch(/ECONNREFUSED/);

    const list = (await as({ method: 'GET', url: '/api/admin/webhooks' })).json();
    const shown = list.subscriptions.find(
      (candidate: WebhookSubscription) => candidate.id === subscription.id,
    );
    expect(shown).toMatchObject({ state: 'failing', consecutiveFailures: 3 });
    const event = await api.database.pool.query('SELECT type FROM webhook_events WHERE id = $1', [
      failed.eventId,
    ]);
    expect(event.rows).toEqual([{ type: 'conversation.escalated' }]);

    const endpoint = await receiver({ port });
    endpoint.verifyWith(secret);
    const redeliver = await as({
      method: 'POST',
      url: `/api/admin/webhooks/deliveries/${failed.id}/redeliver`,
    });
    expect(redeliver.statusCode, redeliver.body).toBe(202);
    const delivered = await settle(subscription.id, 'delivered');
    expect(delivered.log.map((attempt) => [attempt.attempt, attempt.manual, attempt.responseCode])).toEqual([
      [1, false, null],
      [2, false, null],
      [3, false, null],
      [4, true, 200],
    ]);
    expect(endpoint.received.map((request) => request.verified)).toEqual([true]);
    const after = (await as({ method: 'GET', url: '/api/admin/webhooks' })).json();
    expect(
      after.subscriptions.find((candidate: WebhookSubscription) => candidate.id === subscription.id),
    ).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 0,
    });
  });

  it('gives up on an endpoint that does not answer within the timeout, and retries it', async () => {
    const endpoint = await receiver({ plan: ['hang', 200] });
    const { subscription, secret } = await subscribe(endpoint.url, ['conversation.escalated']);
    endpoint.verifyWith(secret);
    await escalate();
    const delivery = await settle(subscription.id, 'delivered');
    expect(delivery.log[0]).toMatchObject({ responseCode: null, error: `timed out after ${timeoutMs} ms` });
    expect(delivery.log[0]!.latencyMs).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(delivery.log[1]).toMatchObject({ responseCode: 200, error: null });
  });

  it('signs with the rotated secret at once, and deleting a subscription removes its secret', async () => {
    const endpoint = await receiver();
    const { subscription, secret } = await subscribe(endpoint.url, ['conversation.escalated']);
    const rotated = await as({ method: 'POST', url: `/api/admin/webhooks/${subscription.id}/rotate-secret` });
    expect(rotated.statusCode).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(fresh).not.toBe(secret);
    endpoint.verifyWith(fresh);
    await escalate();
    await settle(subscription.id, 'delivered');
    const [request] = endpoint.received;
    expect(request!.verified).toBe(true);
    // The old secret no longer verifies what is sent.
    expect(verifyWebhookSignature({ header: request!.signature, body: request!.body, secret }).ok).toBe(
      false,
    );

    const missing = await as({
      method: 'POST',
      url: `/api/admin/webhooks/deliveries/whd_${'0'.repeat(32)}/redeliver`,
    });
    expect(missing.statusCode).toBe(404);
    const deleted = await as({ method: 'DELETE', url: `/api/admin/webhooks/${subscription.id}` });
    expect(deleted.json()).toEqual({ deleted: true, id: subscription.id });
    const secrets = await api.database.pool.query(
      `SELECT 1 FROM connector_credentials WHERE connector_id = 'webhooks' AND field = $1`,
      [subscription.id],
    );
    expect(secrets.rows).toEqual([]);
    expect(await deliveriesOf(subscription.id)).toEqual([]);
  });

  it('sends nothing for events a subscription does not want, or when nobody subscribes', async () => {
    const endpoint = await receiver();
    const { subscription } = await subscribe(endpoint.url, ['conversation.resolved']);
    const before = (await api.database.pool.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;
    await as({ method: 'PATCH', url: `/api/admin/webhooks/${subscription.id}`, payload: { enabled: false } });
    // Every other subscription of this file is to conversation.escalated: disable them too.
    await api.database.pool.query(`UPDATE webhook_subscriptions SET enabled = false`);
    await escalate();
    const after = (await api.database.pool.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;
    expect(after).toBe(before);
    expect(await deliveriesOf(subscription.id)).toEqual([]);
    await api.database.pool.query(`UPDATE webhook_subscriptions SET enabled = true`);
  });
});

describe('event retention', () => {
  it('prunes settled events past the retention with their log, and keeps unsettled or recent ones', async () => {
    // One delivery per event and subscription: two subscriptions for an event with two deliveries.
    const subscriptions = [
      (await subscribe((await receiver()).url, ['conversation.escalated'])).subscription,
      (await subscribe((await receiver()).url, ['conversation.escalated'])).subscription,
    ];
    const pool = api.database.pool;
    const event = async (id: string, ageDays: number, statuses: string[]) => {
      await pool.query(
        `INSERT INTO webhook_events (id, type, payload, occurred_at)
         VALUES ($1, 'conversation.escalated', '{}', now() - make_interval(days => $2))`,
        [id, ageDays],
      );
      for (const [index, status] of statuses.entries()) {
        const deliveryId = `${id}_d${index}`;
        await pool.query(
          `INSERT INTO webhook_deliveries (id, event_id, subscription_id, status, attempts, next_attempt_at)
           VALUES ($1, $2, $3, $4, 1, now() + interval '1 day')`,
          [deliveryId, id, subscriptions[index]?.id, status],
        );
        await pool.query(
          `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, latency_ms) VALUES ($1, 1, 5)`,
          [deliveryId],
        );
      }
    };
    const tag = randomBytes(4).toString('hex');
    await event(`whe_old_settled_${tag}`, 40, ['delivered', 'failed']);
    await event(`whe_old_none_${tag}`, 40, []);
    await event(`whe_old_retrying_${tag}`, 40, ['delivered', 'retrying']);
    await event(`whe_recent_${tag}`, 2, ['delivered']);

    const pruned = await api.context.webhooks.dispatcher.prune();
    expect(pruned).toBeGreaterThanOrEqual(2);
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM webhook_events WHERE id LIKE $1 ORDER BY id`,
      [`%_${tag}`],
    );
    expect(rows.map((row) => row.id)).toEqual([`whe_old_retrying_${tag}`, `whe_recent_${tag}`]);
    const attempts = await pool.query(
      `SELECT count(*)::int AS n FROM webhook_delivery_attempts WHERE delivery_id LIKE $1`,
      [`whe_old_settled_${tag}%`],
    );
    expect(attempts.rows[0].n).toBe(0);
    expect(await api.context.webhooks.dispatcher.prune()).toBe(0);
  });
});
