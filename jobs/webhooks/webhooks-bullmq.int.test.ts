import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryDetail } from '../../api/contract/outbound-webhooks.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { startReceiver } from './testing/receiver.ts';

const url = 'redis://127.0.0.1:6379';
const prefix = `sb-webhooks-${randomBytes(4).toString('hex')}`;
let api: TestApi;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver({ plan: [503, 500, 200] });
  api = await createTestApi({
    seed: false,
    redis: { url, prefix },
    settings: {
      outboundWebhooks: { allowList: ['127.0.0.1'], maxAttempts: 4, backoffMs: 100, timeoutMs: 1_000 },
    },
  });
  await api.runtime.ready();
}, 120_000);

afterAll(async () => {
  await api?.close();
  await receiver?.close();
  const redis = new Redis(url);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('outbound webhooks on BullMQ', () => {
  it('delivers through the Redis queue, retrying with growing delays until the endpoint answers 2xx', async () => {
    const admin = await loginAs(api.app, api.database.pool, 'admin');
    const headers = { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken };
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/admin/webhooks',
      headers,
      payload: { url: receiver.url, events: ['conversation.escalated'], description: 'n8n' },
    });
    expect(created.statusCode).toBe(201);
    const { subscription, secret } = created.json();
    receiver.verifyWith(secret);
    await api.database.pool.query(
      `INSERT INTO conversations (id, channel, status) VALUES ('conv_bull', 'chat', 'escalated')`,
    );
    await api.database.pool.query(
      `INSERT INTO escalations (id, conversation_id, reason, packet) VALUES ('esc_bull', 'conv_bull', 'loop_detected', '{}')`,
    );

    const deadline = Date.now() + 30_000;
    let delivery: DeliveryDetail | undefined;
    for (;;) {
      await api.context.jobs.enqueue('webhook.sweep', {}, { jobId: 'webhook-sweep-test' });
      const list = await api.app.inject({
        method: 'GET',
        url: `/api/admin/webhooks/deliveries?subscriptionId=${subscription.id}`,
        headers,
      });
      const [summary] = list.json().deliveries;
      if (summary?.status === 'delivered') {
        delivery = (
          await api.app.inject({
            method: 'GET',
            url: `/api/admin/webhooks/deliveries/${summary.id}`,
            headers,
          })
        ).json();
        break;
      }
      if (Date.now() > deadline) throw new Error(`not delivered: ${JSON.stringify(summary)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(receiver.received.map((request) => [request.verified, request.answered])).toEqual([
      [true, 503],
      [true, 500],
      [true, 200],
    ]);
    const log = delivery!.log;
    expect(log.map((attempt) => attempt.responseCode)).toEqual([503, 500, 200]);
    // Exponential backoff: the second wait is twice the first (100 ms, then 200 ms).
    const waits = [1, 2].map(
      (index) => Date.parse(log[index]!.startedAt) - Date.parse(log[index - 1]!.startedAt),
    );
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
    expect(Date.parse(log[0]!.nextRetryAt!) - Date.parse(log[0]!.startedAt)).toBeGreaterThanOrEqual(100);
  }, 60_000);
});
