import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type BullJobs, createBullJobs, createBullWorkers } from './bullmq-jobs.ts';
import type { BullWorkers } from './bullmq-workers.ts';
import type { JobContext } from './catalog.ts';
import { PermanentJobError } from './errors.ts';
import { sleep, testHandlers, waitFor } from './testing/handlers.ts';

const url = 'redis://127.0.0.1:6379';
const filePrefix = `test-bullmq-${randomUUID().slice(0, 8)}`;

describe('BullMQ jobs and workers', () => {
  const opened: Array<BullJobs | BullWorkers> = [];
  let testIndex = 0;
  /** A fresh prefix per test: no test sees another's jobs or schedulers. */
  const nextPrefix = () => {
    testIndex += 1;
    return `${filePrefix}-${testIndex}`;
  };
  const track = <T extends BullJobs | BullWorkers>(value: T): T => {
    opened.push(value);
    return value;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((value) => value.close()));
  });
  afterAll(async () => {
    const redis = new Redis(url);
    const keys = await redis.keys(`${filePrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('runs a job on a worker with its payload parsed and the first attempt', async () => {
    const prefix = nextPrefix();
    const seen: Array<{ payload: unknown; attempt: number }> = [];
    const jobs = track(createBullJobs({ url, prefix }));
    track(
      createBullWorkers({
        url,
        prefix,
        handlers: testHandlers({
          'email.outbound': async (payload, context) => {
            seen.push({ payload, attempt: context.attempt });
          },
        }),
      }),
    );
    await jobs.enqueue('email.outbound', {});
    await waitFor('the job to run', () => seen.length === 1);
    expect(seen).toEqual([{ payload: { reason: 'tick' }, attempt: 1 }]);
  });

  it('retries with exponential backoff and succeeds on the third attempt', async () => {
    const prefix = nextPrefix();
    const attemptsAt: Array<{ attempt: number; at: number }> = [];
    const jobs = track(createBullJobs({ url, prefix }));
    track(
      createBullWorkers({
        url,
        prefix,
        handlers: testHandlers({
          // agent.turn: 6 attempts, 500 ms exponential backoff → waits of 500 and 1 000 ms.
          'agent.turn': async (_payload, context) => {
            attemptsAt.push({ attempt: context.attempt, at: Date.now() });
            if (context.attempt < 3) throw new Error('transient');
          },
        }),
      }),
    );
    await jobs.enqueue('agent.turn', { conversationId: 'c1' });
    await waitFor('three attempts', () => attemptsAt.length === 3);
    expect(attemptsAt.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    expect(attemptsAt[1]!.at - attemptsAt[0]!.at).toBeGreaterThanOrEqual(450);
    expect(attemptsAt[2]!.at - attemptsAt[1]!.at).toBeGreaterThanOrEqual(950);
    await waitFor('completion', async () => (await jobs.counts()).active === 0);
    expect(await jobs.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });

  it('fails a job after its catalog attempts', async () => {
    const prefix = nextPrefix();
    let runs = 0;
    const jobs = track(createBullJobs({ url, prefix }));
    track(
      createBullWorkers({
        url,
        prefix,
        handlers: testHandlers({
          // escalation.sla: 3 attempts, 1 000 ms backoff.
          'escalation.sla': async () => {
            runs += 1;
            throw new Error('database unavailable');
          },
        }),
      }),
    );
    await jobs.enqueue('escalation.sla', { escalationId: 'e1' });
    await waitFor('the job to fail', async () => (await jobs.counts()).failed === 1);
    expect(runs).toBe(3);
  });

  it('aborts the signal of an attempt that exceeds its timeout and fails it', async () => {
    const prefix = nextPrefix();
    const contexts: JobContext[] = [];
    const jobs = track(createBullJobs({ url, prefix }));
    track(
      createBullWorkers({
        url,
        prefix,
        timeoutsMs: { 'eval.run': 300 },
        handlers: testHandlers({
          'eval.run': async (_payload, context) => {
            contexts.push(context);
            await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
            await sleep(10_000);
          },
        }),
      }),
    );
    const started = Date.now();
    await jobs.enqueue('eval.run', { runId: 'r1', suite: 'smoke' });
    await waitFor('the job to fail', async () => (await jobs.counts()).failed === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]!.signal.aborted).toBe(true);
  });

  it('rejects an invalid payload at enqueue, and fails one added behind its back without retrying', async () => {
    const prefix = nextPrefix();
    let runs = 0;
    const jobs = track(createBullJobs({ url, prefix }));
    await expect(jobs.enqueue('agent.turn', { conversationId: '' })).rejects.toThrow();
    // A producer that skipped validation (an old version, a hand-made job).
    const raw = new Queue('agent.turn', { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    await raw.add('agent.turn', { conversation: 42 }, { attempts: 6 });
    await raw.close();
    track(
      createBullWorkers({
        url,
        prefix,
        handlers: testHandlers({
          'agent.turn': async () => {
            runs += 1;
          },
        }),
      }),
    );
    await waitFor('the job to fail', async () => (await jobs.counts()).failed === 1);
    const failedQueue = new Queue('agent.turn', { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    const [failed] = await failedQueue.getFailed();
    await failedQueue.close();
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/invalid agent.turn payload/);
    expect(runs).toBe(0);
  });

  it('fails a job at once, without retries, when its handler throws a PermanentJobError', async () => {
    const prefix = nextPrefix();
    let runs = 0;
    const jobs = track(createBullJobs({ url, prefix }));
    track(
      createBullWorkers({
        url,
        prefix,
        handlers: testHandlers({
          'email.inbound': async () => {
            runs += 1;
            throw new PermanentJobError('message has no From address');
          },
        }),
      }),
    );
    await jobs.enqueue('email.inbound', { raw: 'x', receivedAt: '2026-11-20T09:00:00Z' });
    await waitFor('the job to fail', async () => (await jobs.counts()).failed === 1);
    expect(runs).toBe(1);
  });

  it('ignores a duplicate id while waiting and runs one follow-up when it arrives during a run', async () => {
    const prefix = nextPrefix();
    const runs: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const jobs = track(createBullJobs({ url, prefix }));
    // No worker yet: both enqueues meet the first job waiting.
    await jobs.enqueue('email.outbound', { reason: 'first' }, { jobId: 'outbox:tick' });
    await jobs.enqueue('email.outbound', { reason: 'duplicate' }, { jobId: 'outbox:tick' });
    expect((await jobs.counts()).waiting).toBe(1);
    track(
      createBullWorkers({
        url,
        prefix,
        concurrency: 4,
        handlers: testHandlers({
          'email.outbound': async (payload) => {
            runs.push(payload.reason);
            if (payload.reason === 'first') await gate;
          },
        }),
      }),
    );
    await waitFor('the first run', () => runs.length === 1);
    await jobs.enqueue('email.outbound', { reason: 'second' }, { jobId: 'outbox:tick' });
    await jobs.enqueue('email.outbound', { reason: 'third' }, { jobId: 'outbox:tick' });
    await sleep(200);
    // Never two runs with the same id at once, even with spare concurrency.
    expect(runs).toEqual(['first']);
    release();
    await waitFor('the follow-up run', () => runs.length === 2);
    await sleep(200);
    expect(runs).toEqual(['first', 'third']);
  });

  it('runs a delayed job only after its delay', async () => {
    const prefix = nextPrefix();
    const ranAt: number[] = [];
    const jobs = track(createBullJobs({ url, prefix }));
    track(
      createBullWorkers({
        url,
        prefix,
        handlers: testHandlers({
          'escalation.sla': async () => {
            ranAt.push(Date.now());
          },
        }),
      }),
    );
    const started = Date.now();
    await jobs.enqueue('escalation.sla', { escalationId: 'e1' }, { delayMs: 700 });
    expect((await jobs.counts()).delayed).toBe(1);
    await waitFor('the delayed job', () => ranAt.length === 1);
    expect(ranAt[0]! - started).toBeGreaterThanOrEqual(650);
  });

  it('on close lets an in-flight job finish, and hands back one that outlives the grace period', async () => {
    const prefix = nextPrefix();
    const finished: string[] = [];
    const handedBack: string[] = [];
    const started: string[] = [];
    // The quick job finishes only once the close has begun, so that neither a slow pick-up of the
    // second job nor a slow close on a loaded machine changes what the test sees.
    let releaseQuick!: () => void;
    const quickMayFinish = new Promise<void>((resolve) => {
      releaseQuick = resolve;
    });
    const jobs = track(createBullJobs({ url, prefix }));
    const slowHandlers = (label: string) =>
      testHandlers({
        'agent.turn': async (payload, context) => {
          started.push(payload.conversationId);
          await new Promise<void>((resolve, reject) => {
            const timer = payload.conversationId === 'quick' ? undefined : setTimeout(resolve, 60_000);
            if (payload.conversationId === 'quick') void quickMayFinish.then(resolve);
            context.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              handedBack.push(`${label}:${payload.conversationId}`);
              reject(context.signal.reason);
            });
          });
          finished.push(`${label}:${payload.conversationId}`);
        },
      });
    const first = createBullWorkers({ url, prefix, concurrency: 2, handlers: slowHandlers('first') });
    await jobs.enqueue('agent.turn', { conversationId: 'quick' });
    await jobs.enqueue('agent.turn', { conversationId: 'slow' });
    await waitFor('both jobs to start', () => started.length === 2, 30_000);
    const closed = first.close({ graceMs: 3_000 });
    releaseQuick();
    await closed;
    expect(finished).toEqual(['first:quick']);
    expect(handedBack).toEqual(['first:slow']);
    // Handed back without using an attempt: the next worker starts it afresh.
    const attempts: number[] = [];
    track(
      createBullWorkers({
        url,
        prefix,
        handlers: testHandlers({
          'agent.turn': async (_payload, context) => {
            attempts.push(context.attempt);
          },
        }),
      }),
    );
    // Generous waits: on a loaded 2-core machine the close and the hand-back can take seconds.
    await waitFor('the handed-back job to run', () => attempts.length === 1, 30_000);
    expect(attempts).toEqual([1]);
  }, 90_000);
});
