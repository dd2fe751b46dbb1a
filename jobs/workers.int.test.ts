import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BullJobs, createBullJobs } from './bullmq-jobs.ts';
import { waitFor } from './testing/handlers.ts';
import { type SpawnedWorker, spawnWorker } from './testing/spawn-worker.ts';

const url = 'redis://127.0.0.1:6379';
const filePrefix = `test-workers-${randomUUID().slice(0, 8)}`;

interface Record {
  pid: number;
  jobId: string;
  conversationId: string;
}

describe('worker processes on one Redis', () => {
  let redis: Redis;
  let testIndex = 0;
  const spawned: SpawnedWorker[] = [];
  const queues: BullJobs[] = [];

  beforeAll(() => {
    redis = new Redis(url);
  });
  afterEach(async () => {
    await Promise.all(spawned.splice(0).map((worker) => worker.dispose()));
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${filePrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  /** A fresh prefix, its queue, and helpers to start recording workers and read what they did. */
  function setup() {
    testIndex += 1;
    const prefix = `${filePrefix}-${testIndex}`;
    const queue = createBullJobs({ url, prefix });
    queues.push(queue);
    const start = async (options: object = {}) => {
      const worker = await spawnWorker({
        script: 'jobs/testing/recording-worker.ts',
        args: [JSON.stringify({ url, prefix, ...options })],
      });
      spawned.push(worker);
      return worker;
    };
    const read = async (list: 'started' | 'finished') =>
      (await redis.lrange(`${prefix}:record:${list}`, 0, -1)).map((entry) => JSON.parse(entry) as Record);
    return { prefix, queue, start, read };
  }

  it('shares 20 jobs between two workers, each job done exactly once', async () => {
    const { queue, start, read } = setup();
    const [first, second] = await Promise.all([start(), start()]);
    for (let index = 0; index < 20; index += 1) {
      await queue.enqueue('agent.turn', { conversationId: `conv-${index}` });
    }
    await waitFor('20 finished jobs', async () => (await read('finished')).length >= 20, 30_000);
    const finished = await read('finished');
    expect(finished).toHaveLength(20);
    expect(new Set(finished.map((entry) => entry.jobId)).size).toBe(20);
    expect(new Set(finished.map((entry) => entry.conversationId)).size).toBe(20);
    const byWorker = (pid: number) => finished.filter((entry) => entry.pid === pid).length;
    expect(byWorker(first!.pid)).toBeGreaterThan(0);
    expect(byWorker(second!.pid)).toBeGreaterThan(0);
    expect(byWorker(first!.pid) + byWorker(second!.pid)).toBe(20);
  }, 60_000);

  it('finishes a job on the other worker, exactly once, when its worker is SIGKILLed mid-job', async () => {
    const { queue, start, read } = setup();
    const workers = await Promise.all([start(), start()]);
    await queue.enqueue('agent.turn', { conversationId: 'slow-1' });
    await waitFor('the job to start', async () => (await read('started')).length === 1);
    const doomedPid = (await read('started'))[0]!.pid;
    const doomed = workers.find((worker) => worker.pid === doomedPid)!;
    const survivor = workers.find((worker) => worker.pid !== doomedPid)!;
    doomed.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    // Lock 2 s, stalled check every 1 s, then the 4 s job itself.
    await waitFor('the job to finish elsewhere', async () => (await read('finished')).length === 1, 20_000);
    const started = await read('started');
    const finished = await read('finished');
    expect(started.map((entry) => entry.pid)).toEqual([doomed.pid, survivor.pid]);
    expect(started[0]!.jobId).toBe(started[1]!.jobId);
    expect(finished).toEqual([{ pid: survivor.pid, jobId: started[0]!.jobId, conversationId: 'slow-1' }]);
    await waitFor('the queue to be idle', async () => (await queue.counts()).active === 0);
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  }, 60_000);

  it('on SIGTERM finishes the in-flight job, takes no new one, and exits 0', async () => {
    const { queue, start, read } = setup();
    const worker = await start({ slowMs: 1_500, concurrency: 1 });
    await queue.enqueue('agent.turn', { conversationId: 'slow-1' });
    await waitFor('the job to start', async () => (await read('started')).length === 1);
    await queue.enqueue('agent.turn', { conversationId: 'conv-after' });
    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(await read('finished')).toEqual([
      { pid: worker.pid, jobId: expect.any(String), conversationId: 'slow-1' },
    ]);
    // The job enqueued after the signal is still waiting for the next worker.
    expect((await queue.counts()).waiting).toBe(1);
  }, 60_000);
});
