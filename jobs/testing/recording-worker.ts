import { Redis } from 'ioredis';
import { z } from 'zod';
import { createBullWorkers } from '../bullmq-workers.ts';
import { testHandlers } from './handlers.ts';

/**
 * A worker process for the multi-process tests: real BullMQ workers whose 'agent.turn' handler records
 * each start and finish (pid, job id, conversation) in Redis lists, and sleeps `slowMs` for
 * conversations named `slow-*` (long enough to be killed mid-job), `fastMs` otherwise.
 * Usage: node --import tsx jobs/testing/recording-worker.ts '<json options>'.
 */
const options = z
  .object({
    url: z.string(),
    prefix: z.string(),
    concurrency: z.number().int().default(2),
    lockDurationMs: z.number().int().default(2_000),
    stalledIntervalMs: z.number().int().default(1_000),
    slowMs: z.number().int().default(4_000),
    fastMs: z.number().int().default(100),
    graceMs: z.number().int().default(30_000),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));

const redis = new Redis(options.url);
const record = (list: 'started' | 'finished', jobId: string, conversationId: string) =>
  redis.rpush(
    `${options.prefix}:record:${list}`,
    JSON.stringify({ pid: process.pid, jobId, conversationId }),
  );

const workers = createBullWorkers({
  url: options.url,
  prefix: options.prefix,
  concurrency: options.concurrency,
  lockDurationMs: options.lockDurationMs,
  stalledIntervalMs: options.stalledIntervalMs,
  types: ['agent.turn'],
  handlers: testHandlers({
    'agent.turn': async ({ conversationId }, { jobId }) => {
      await record('started', jobId, conversationId);
      const ms = conversationId.startsWith('slow-') ? options.slowMs : options.fastMs;
      await new Promise((resolve) => setTimeout(resolve, ms));
      await record('finished', jobId, conversationId);
    },
  }),
});

process.once('SIGTERM', async () => {
  await workers.close({ graceMs: options.graceMs });
  await redis.quit();
  process.exit(0);
});
await workers.ready();
process.stdout.write(`recording worker ready (pid ${process.pid})\n`);
