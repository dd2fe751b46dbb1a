/**
 * A worker process for multi-process turn tests: a real Switchboard on PostgreSQL, the turn processor
 * under the advisory conversation lock, BullMQ workers for `agent.turn`, the Redis event bus.
 * `CRASH_AFTER=<connector>.<operation>` makes it SIGKILL itself right after that call succeeds — after
 * the write committed, before the reply — the worst moment for a crash.
 */
import { createSwitchboard } from '../../api/wiring.ts';
import { openDatabase } from '../../db/database.ts';
import { createBullWorkers } from '../../jobs/bullmq-jobs.ts';
import { createAdvisoryConversationLock } from '../../jobs/conversation-lock.ts';
import type { EventBus } from '../../jobs/live-events.ts';
import { createRedisEventBus } from '../../jobs/redis-event-bus.ts';
import { testHandlers } from '../../jobs/testing/handlers.ts';
import { createTurnProcessor } from '../../jobs/turn-processor.ts';

const databaseUrl = process.env.DATABASE_URL!;
const redisUrl = process.env.REDIS_URL!;
const prefix = process.env.PREFIX!;
const crashAfter = process.env.CRASH_AFTER;

const database = await openDatabase({ url: databaseUrl, maxConnections: 5 });
const switchboard = await createSwitchboard({
  database,
  dataDir: '.data/test',
  mode: 'embedded',
  resilience: { retry: { retries: 1, initialDelayMs: 1, maxDelayMs: 5 } },
});
const redisBus = createRedisEventBus({ url: redisUrl, prefix });
const bus: EventBus = {
  ...redisBus,
  async publish(channel, event) {
    await redisBus.publish(channel, event);
    if (
      crashAfter &&
      event.kind === 'turn' &&
      event.event.type === 'tool-call-end' &&
      `${event.event.connector}.${event.event.operation}` === crashAfter &&
      event.event.status === 'ok'
    ) {
      process.stdout.write('crashing\n');
      process.kill(process.pid, 'SIGKILL');
    }
  },
};
const turns = createTurnProcessor({
  pool: database.pool,
  agent: switchboard.agent,
  bus,
  lock: createAdvisoryConversationLock(database.pool, { pollMs: 50 }),
});
const workers = createBullWorkers({
  url: redisUrl,
  prefix,
  handlers: testHandlers({ 'agent.turn': (payload) => turns.drainConversation(payload.conversationId) }),
  types: ['agent.turn'],
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
});
process.stdout.write(`ready ${process.pid}\n`);
process.once('SIGTERM', async () => {
  await workers.close({ graceMs: 5_000 });
  await switchboard.close();
  await redisBus.close();
  await database.close();
  process.exit(0);
});
