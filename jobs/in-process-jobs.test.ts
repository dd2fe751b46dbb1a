import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobContext } from './catalog.ts';
import { PermanentJobError } from './errors.ts';
import { createInProcessJobs, retryDelayMs } from './in-process-jobs.ts';
import { testHandlers as handlers, sleep } from './testing/handlers.ts';

describe('createInProcessJobs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a job with its payload parsed (defaults applied) and the first attempt number', async () => {
    const seen: Array<{ payload: unknown; attempt: number }> = [];
    const jobs = createInProcessJobs({
      handlers: handlers({
        'email.outbound': async (payload, context) => {
          seen.push({ payload, attempt: context.attempt });
        },
      }),
    });
    await jobs.enqueue('email.outbound', {});
    await jobs.drain();
    expect(seen).toEqual([{ payload: { reason: 'tick' }, attempt: 1 }]);
    await jobs.close();
  });

  it('rejects an invalid payload at enqueue and runs nothing', async () => {
    let runs = 0;
    const jobs = createInProcessJobs({
      handlers: handlers({
        'agent.turn': async () => {
          runs += 1;
        },
      }),
    });
    await expect(jobs.enqueue('agent.turn', { conversationId: '' })).rejects.toThrow();
    await jobs.drain();
    expect(runs).toBe(0);
    expect(await jobs.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    await jobs.close();
  });

  it('ignores a duplicate job id while the first job is waiting', async () => {
    const runs: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const jobs = createInProcessJobs({
      concurrency: 1,
      handlers: handlers({
        'agent.turn': async (payload) => {
          runs.push(payload.conversationId);
          await gate;
        },
      }),
    });
    await jobs.enqueue('agent.turn', { conversationId: 'blocker' });
    await jobs.enqueue('agent.turn', { conversationId: 'c1' }, { jobId: 'turn:c1' });
    await jobs.enqueue('agent.turn', { conversationId: 'c1' }, { jobId: 'turn:c1' });
    expect(await jobs.counts()).toMatchObject({ active: 1, waiting: 1 });
    release();
    await jobs.drain();
    expect(runs).toEqual(['blocker', 'c1']);
    await jobs.close();
  });

  it('queues exactly one follow-up run when a job id is enqueued while it is running, never overlapping', async () => {
    const runs: string[] = [];
    let active = 0;
    let peak = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const jobs = createInProcessJobs({
      concurrency: 4,
      handlers: handlers({
        'email.outbound': async (payload) => {
          active += 1;
          peak = Math.max(peak, active);
          runs.push(payload.reason);
          await gate;
          active -= 1;
        },
      }),
    });
    await jobs.enqueue('email.outbound', { reason: 'first' }, { jobId: 'outbox' });
    await sleep(5);
    await jobs.enqueue('email.outbound', { reason: 'second' }, { jobId: 'outbox' });
    await jobs.enqueue('email.outbound', { reason: 'third' }, { jobId: 'outbox' });
    expect(await jobs.counts()).toMatchObject({ active: 1, waiting: 0 });
    release();
    await jobs.drain();
    // The latest payload wins, like BullMQ keepLastIfActive.
    expect(runs).toEqual(['first', 'third']);
    expect(peak).toBe(1);
    await jobs.enqueue('email.outbound', { reason: 'later' }, { jobId: 'outbox' });
    await jobs.drain();
    expect(runs).toEqual(['first', 'third', 'later']);
    await jobs.close();
  });

  it('retries a failing job up to the catalog attempts with exponential backoff, then counts it failed', async () => {
    // The catalog's real policy ('escalation.sla': 3 attempts, 1 000 ms backoff) on fake timers.
    vi.useFakeTimers();
    expect([1, 2, 3].map((attempt) => retryDelayMs(500, attempt))).toEqual([500, 1_000, 2_000]);
    const attempts: number[] = [];
    const jobs = createInProcessJobs({
      handlers: handlers({
        'escalation.sla': async (_payload, context) => {
          attempts.push(context.attempt);
          throw new Error('database unavailable');
        },
      }),
    });
    await jobs.enqueue('escalation.sla', { escalationId: 'e1' });
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts).toEqual([1]);
    expect(await jobs.counts()).toMatchObject({ delayed: 1 });
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(1);
    await jobs.drain();
    expect(attempts).toEqual([1, 2, 3]);
    expect(await jobs.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
    await jobs.close();
  });

  it('fails a job at once, without retries, when its handler throws a PermanentJobError', async () => {
    const attempts: number[] = [];
    const jobs = createInProcessJobs({
      handlers: handlers({
        'email.inbound': async (_payload, context) => {
          attempts.push(context.attempt);
          throw new PermanentJobError('message has no From address');
        },
      }),
    });
    await jobs.enqueue('email.inbound', { raw: 'x', receivedAt: '2026-11-20T09:00:00Z' });
    await jobs.drain();
    expect(attempts).toEqual([1]);
    expect((await jobs.counts()).failed).toBe(1);
    await jobs.close();
  });

  it('succeeds on a later attempt without counting a failure', async () => {
    const attempts: number[] = [];
    const jobs = createInProcessJobs({
      handlers: handlers({
        'agent.turn': async (_payload, context) => {
          attempts.push(context.attempt);
          if (context.attempt < 2) throw new Error('transient');
        },
      }),
    });
    await jobs.enqueue('agent.turn', { conversationId: 'c1' });
    await jobs.drain();
    expect(attempts).toEqual([1, 2]);
    expect((await jobs.counts()).failed).toBe(0);
    await jobs.close();
  });

  it('aborts the signal of an attempt that exceeds its timeout and treats it as failed', async () => {
    // 'maintenance.recover-turns': one attempt, 30 s timeout, on fake timers.
    vi.useFakeTimers();
    const contexts: JobContext[] = [];
    const jobs = createInProcessJobs({
      handlers: handlers({
        'maintenance.recover-turns': async (_payload, context) => {
          contexts.push(context);
          await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
        },
      }),
    });
    await jobs.enqueue('maintenance.recover-turns', {});
    await vi.advanceTimersByTimeAsync(29_999);
    expect(contexts[0]?.signal.aborted).toBe(false);
    expect((await jobs.counts()).active).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await jobs.drain();
    expect(contexts[0]?.signal.aborted).toBe(true);
    expect((await jobs.counts()).failed).toBe(1);
    await jobs.close();
  });

  it('runs a delayed job only once its delay has passed', async () => {
    const ranAt: number[] = [];
    const jobs = createInProcessJobs({
      handlers: handlers({
        'escalation.sla': async () => {
          ranAt.push(Date.now());
        },
      }),
    });
    const started = Date.now();
    await jobs.enqueue('escalation.sla', { escalationId: 'e1' }, { delayMs: 150 });
    expect(await jobs.counts()).toMatchObject({ delayed: 1, waiting: 0 });
    await sleep(250);
    await jobs.drain();
    expect(ranAt).toHaveLength(1);
    expect(ranAt[0]! - started).toBeGreaterThanOrEqual(140);
    await jobs.close();
  });

  it('runs at most `concurrency` jobs at once', async () => {
    let active = 0;
    let peak = 0;
    const jobs = createInProcessJobs({
      concurrency: 2,
      handlers: handlers({
        'agent.turn': async () => {
          active += 1;
          peak = Math.max(peak, active);
          await sleep(20);
          active -= 1;
        },
      }),
    });
    for (let index = 0; index < 6; index += 1)
      await jobs.enqueue('agent.turn', { conversationId: `c${index}` });
    await jobs.drain();
    expect(peak).toBe(2);
    await jobs.close();
  });

  it('on close waits for in-flight jobs, drops waiting ones and refuses new work', async () => {
    const finished: string[] = [];
    const jobs = createInProcessJobs({
      concurrency: 1,
      handlers: handlers({
        'agent.turn': async (payload) => {
          await sleep(50);
          finished.push(payload.conversationId);
        },
      }),
    });
    await jobs.enqueue('agent.turn', { conversationId: 'in-flight' });
    await jobs.enqueue('agent.turn', { conversationId: 'waiting' });
    await jobs.close();
    expect(finished).toEqual(['in-flight']);
    await expect(jobs.enqueue('agent.turn', { conversationId: 'late' })).rejects.toThrow(/closed/);
  });
});
