/**
 * A worker process for multi-process turn tests: a real Switchboard on PostgreSQL, the turn processor
 * under the advisory conversation lock, BullMQ workers for `agent.turn`, the Redis event bus.
 * `CRASH_AFTER=<connector>.<operation>` makes it SIGKILL itself right after that call succeeds — after
 * the write committed, before the reply — the worst moment for a crash.
 * `FAULTS=<JSON array of fault specs>` arms the Switchboard's fault injector (connectors/core/faults.ts)
 * in this process, e.g. a slow refund that a test SIGKILLs the worker in the middle of.
 */
import { z } from 'zod';
import { createSwitchboard } from '../../app/wiring.ts';
import type { EventBus } from '../../conversations/live-events.ts';
import { createAdvisoryConversationLock } from '../../conversations/lock.ts';
import { createTurnProcessor } from '../../conversations/turns.ts';
import { openDatabase } from '../../db/database.ts';
import { createBullWorkers } from '../../jobs/bullmq-jobs.ts';
import { createRedisEventBus } from '../../jobs/redis-event-bus.ts';
import { testHandlers } from '../../jobs/testing/handlers.ts';

const databaseUrl = process.env.DATABASE_URL!;
const redisUrl = process.env.REDIS_URL!;
const prefix = process.env.PREFIX!;
const crashAfter = process.env.CRASH_AFTER;
const faults = z
  .array(
    z.strictObject({
      connector: z.string(),
      operation: z.string(),
      mode: z.enum(['error', 'timeout', 'slow', 'malformed']),
      times: z.number().int().positive(),
      delayMs: z.number().int().positive().optional(),
    }),
  )
  .parse(JSON.parse(process.env.FAULTS ?? '[]'));

const database = await openDatabase({ url: databaseUrl, maxConnections: 5 });
const switchboard = await createSwitchboard({
  database,
  dataDir: '.data/test',
  mode: 'embedded',
  resilience: { retry: { retries: 1, initialDelayMs: 1, maxDelayMs: 5 } },
  faults: { enabled: faults.length > 0 },
});
for (const fault of faults) switchboard.faults.arm(fault);
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
  store: switchboard.store,
  bus,
  lock: createAdvisoryConversationLock(database.pool, { pollMs: 50 }),
});
const workers = createBullWorkers({
  url: redisUrl,
  prefix,
  handlers: testHandlers({ 'agent.turn': (payload) => turns.handleTurn(payload.conversationId) }),
  types: ['agent.turn'],
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
});
// Loaded before saying ready (as `npm run worker` starts loading it at once): a worker that starts
// mid-test then reaches a turn's writes in seconds, not after the model load.
await switchboard.classifier?.warm();
process.stdout.write(`ready ${process.pid}\n`);
process.once('SIGTERM', async () => {
  await workers.close({ graceMs: 5_000 });
  await switchboard.close();
  await redisBus.close();
  await database.close();
  process.exit(0);
});
