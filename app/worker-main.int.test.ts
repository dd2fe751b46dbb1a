import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleChannel, type EventBus, type LiveEvent } from '../conversations/live-events.ts';
import type { Database } from '../db/database.ts';
import { type BullJobs, createBullJobs } from '../jobs/bullmq-jobs.ts';
import { createRedisEventBus } from '../jobs/redis-event-bus.ts';
import { waitFor } from '../jobs/testing/handlers.ts';
import { type SpawnedWorker, spawnWorker } from '../jobs/testing/spawn-worker.ts';
import { createPostgresTestDatabase } from '../test/support/database.ts';

const redisUrl = 'redis://127.0.0.1:6379';
const prefix = `test-worker-main-${randomUUID().slice(0, 8)}`;

describe('npm run worker (app/worker-main.ts)', () => {
  let database: Database & { url: string };
  let worker: SpawnedWorker | undefined;
  let queue: BullJobs;
  let bus: EventBus;

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    queue = createBullJobs({ url: redisUrl, prefix });
    bus = createRedisEventBus({ url: redisUrl, prefix });
  });
  afterAll(async () => {
    await worker?.dispose();
    await queue?.close();
    await bus?.close();
    await database?.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await rm(`/tmp/${prefix}`, { recursive: true, force: true });
  });

  it('runs jobs against the shared database, publishes on Redis, and stops cleanly on SIGTERM', async () => {
    worker = await spawnWorker({
      script: 'app/worker-main.ts',
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        DATA_DIR: `/tmp/${prefix}`,
        LOG_LEVEL: 'warn',
      },
    });
    await database.pool.query(
      `INSERT INTO conversations (id, channel, status) VALUES ('conv_sla', 'chat', 'escalated');
       INSERT INTO escalations (id, conversation_id, reason, priority, status, packet, sla_due_at)
       VALUES ('esc_sla', 'conv_sla', 'customer_requested', 'high', 'open', '{}', now() - interval '1 minute');`,
    );
    const events: LiveEvent[] = [];
    const unsubscribe = await bus.subscribe(consoleChannel, (event) => events.push(event));
    await queue.enqueue('escalation.sla', { escalationId: 'esc_sla' });
    await waitFor('the SLA event', () => events.length > 0, 15_000);
    expect(events).toEqual([
      { kind: 'escalation', conversationId: 'conv_sla', escalationId: 'esc_sla', change: 'sla_breached' },
    ]);
    const { rows } = await database.pool.query(`SELECT priority FROM escalations WHERE id = 'esc_sla'`);
    expect(rows[0]?.priority).toBe('urgent');
    await unsubscribe();

    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.output()).toMatch(/worker ready/);
  }, 90_000);
});
