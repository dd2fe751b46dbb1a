import { describe, expect, it } from 'vitest';
import { ConnectorError } from './errors.ts';
import {
  CircuitOpenError,
  createConnectorResilience,
  defaultResilience,
  type ResilienceSettings,
} from './resilience.ts';

const settings: ResilienceSettings = {
  ...defaultResilience,
  retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 1_000 },
  breaker: { kind: 'consecutive', failures: 3 },
  halfOpenAfterMs: 80,
  bulkhead: { concurrency: 1, queue: 0 },
};

const failing = (errors: Error[], value = 'ok') => {
  let calls = 0;
  const attempt = async () => {
    calls += 1;
    const error = errors.shift();
    if (error) throw error;
    return value;
  };
  return { attempt, calls: () => calls };
};

describe('createConnectorResilience', () => {
  it('retries retryable failures and then succeeds', async () => {
    const stage = createConnectorResilience('crm', settings);
    const vendor = failing([
      new ConnectorError('transient', '503'),
      new ConnectorError('rate_limited', '429'),
    ]);
    expect(await stage.execute(vendor.attempt, { timeoutMs: 100, mayRetry: true })).toEqual({
      value: 'ok',
      attempts: 3,
    });
  });

  it('does not retry non-retryable errors, nor anything when retries are not allowed', async () => {
    const stage = createConnectorResilience('crm', settings);
    const notFound = failing([new ConnectorError('not_found', 'no such invoice')]);
    await expect(stage.execute(notFound.attempt, { timeoutMs: 100, mayRetry: true })).rejects.toMatchObject({
      kind: 'not_found',
    });
    expect(notFound.calls()).toBe(1);
    const keyless = failing([new ConnectorError('transient', '503')]);
    await expect(stage.execute(keyless.attempt, { timeoutMs: 100, mayRetry: false })).rejects.toMatchObject({
      kind: 'transient',
    });
    expect(keyless.calls()).toBe(1);
  });

  it('gives up after the configured retries with the last error', async () => {
    const stage = createConnectorResilience('crm', {
      ...settings,
      breaker: { kind: 'consecutive', failures: 100 },
    });
    const vendor = failing([1, 2, 3, 4].map((index) => new ConnectorError('transient', `503 #${index}`)));
    await expect(stage.execute(vendor.attempt, { timeoutMs: 100, mayRetry: true })).rejects.toThrow('503 #3');
    expect(vendor.calls()).toBe(3);
  });

  it('times an attempt out, aborting its signal', async () => {
    const stage = createConnectorResilience('crm', { ...settings, retry: { ...settings.retry, retries: 0 } });
    let aborted = false;
    const started = Date.now();
    const error = await stage
      .execute(
        (signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              aborted = true;
            });
            setTimeout(resolve, 1_000);
          }),
        { timeoutMs: 40, mayRetry: true },
      )
      .catch((caught: unknown) => caught as ConnectorError);
    expect(error).toMatchObject({ kind: 'transient', message: 'timed out after 40 ms' });
    expect(aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('waits at least the Retry-After the vendor asked for', async () => {
    const stage = createConnectorResilience('crm', settings);
    const vendor = failing([new ConnectorError('rate_limited', '429', { retryAfterSeconds: 0.3 })]);
    const started = Date.now();
    await stage.execute(vendor.attempt, { timeoutMs: 100, mayRetry: true });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('fails at once when Retry-After is longer than the pipeline will wait', async () => {
    const stage = createConnectorResilience('crm', settings);
    const vendor = failing([new ConnectorError('rate_limited', '429', { retryAfterSeconds: 60 })]);
    await expect(stage.execute(vendor.attempt, { timeoutMs: 100, mayRetry: true })).rejects.toMatchObject({
      kind: 'rate_limited',
    });
    expect(vendor.calls()).toBe(1);
  });

  it('opens the circuit, fails fast, then half-opens and closes on success', async () => {
    const stage = createConnectorResilience('crm', { ...settings, retry: { ...settings.retry, retries: 0 } });
    const states: string[] = [];
    stage.onStateChange((state) => states.push(state));
    const down = failing([1, 2, 3].map(() => new ConnectorError('transient', '503')));
    for (let index = 0; index < 3; index++) {
      await expect(stage.execute(down.attempt, { timeoutMs: 100, mayRetry: true })).rejects.toThrow('503');
    }
    expect(stage.state).toBe('open');
    const healthy = failing([]);
    const error = await stage
      .execute(healthy.attempt, { timeoutMs: 100, mayRetry: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringContaining('circuit open') });
    expect(healthy.calls()).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await stage.execute(healthy.attempt, { timeoutMs: 100, mayRetry: true })).toMatchObject({
      value: 'ok',
    });
    expect(stage.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('does not count caller errors against the circuit', async () => {
    const stage = createConnectorResilience('crm', { ...settings, retry: { ...settings.retry, retries: 0 } });
    for (let index = 0; index < 5; index++) {
      const vendor = failing([new ConnectorError('not_found', 'no such invoice')]);
      await expect(stage.execute(vendor.attempt, { timeoutMs: 100, mayRetry: true })).rejects.toThrow(
        'no such invoice',
      );
    }
    expect(stage.state).toBe('closed');
  });

  it('opens on a failure ratio with the sampling breaker', async () => {
    const stage = createConnectorResilience('crm', {
      ...settings,
      retry: { ...settings.retry, retries: 0 },
      breaker: { kind: 'sampling', failureRatio: 0.4, windowMs: 5_000, minimumRps: 0 },
    });
    let calls = 0;
    for (; calls < 10 && stage.state === 'closed'; calls++) {
      const vendor = failing(calls % 2 ? [new ConnectorError('transient', '503')] : []);
      await stage.execute(vendor.attempt, { timeoutMs: 100, mayRetry: true }).catch(() => {});
    }
    expect(stage.state).toBe('open');
    // ok, fail (1/2 > 0.4): opens at the second call, not after a consecutive streak.
    expect(calls).toBe(2);
  });

  it('rejects calls beyond the bulkhead as rate_limited', async () => {
    const stage = createConnectorResilience('crm', settings);
    const slow = stage.execute(() => new Promise((resolve) => setTimeout(() => resolve('slow'), 50)), {
      timeoutMs: 200,
      mayRetry: false,
    });
    await expect(
      stage.execute(async () => 'fast', { timeoutMs: 200, mayRetry: false }),
    ).rejects.toMatchObject({
      kind: 'rate_limited',
      message: 'too many concurrent calls to connector crm',
    });
    expect(await slow).toMatchObject({ value: 'slow' });
  });

  it('maps unknown errors: network codes are transient, bugs are permanent', async () => {
    const stage = createConnectorResilience('crm', { ...settings, retry: { ...settings.retry, retries: 0 } });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    await expect(
      stage.execute(() => Promise.reject(reset), { timeoutMs: 100, mayRetry: true }),
    ).rejects.toMatchObject({
      kind: 'transient',
    });
    await expect(
      stage.execute(() => Promise.reject(new TypeError('x is undefined')), {
        timeoutMs: 100,
        mayRetry: true,
      }),
    ).rejects.toMatchObject({ kind: 'permanent', message: 'unexpected error: x is undefined' });
  });
});
