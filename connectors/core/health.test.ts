import { describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from './definition.ts';
import { checkConnector, createHealthTracker, createHealthView, percentile } from './health.ts';

const connector = (check: ConnectorDefinition['check']): ConnectorDefinition => ({
  id: 'crm',
  title: 'CRM',
  grantedScopes: [],
  check,
  operations: {},
});

describe('createHealthTracker', () => {
  it('reports success rate, nearest-rank p50/p95 and the last error over the window', () => {
    let clock = 1_000_000;
    const tracker = createHealthTracker({ maxSamples: 100, windowMs: 60_000, clock: () => clock });
    for (let index = 1; index <= 20; index++)
      tracker.record('crm', { ok: index % 5 !== 0, latencyMs: index });
    tracker.record('crm', {
      ok: false,
      latencyMs: 100,
      error: { kind: 'transient', message: 'timed out after 100 ms' },
    });
    const stats = tracker.stats('crm');
    expect(stats.calls).toBe(21);
    expect(stats.successRate).toBeCloseTo(16 / 21);
    expect(stats.p50LatencyMs).toBe(11);
    expect(stats.p95LatencyMs).toBe(20);
    expect(stats.lastError).toEqual({
      kind: 'transient',
      message: 'timed out after 100 ms',
      at: new Date(clock).toISOString(),
    });

    clock += 61_000;
    tracker.record('crm', { ok: true, latencyMs: 7 });
    expect(tracker.stats('crm')).toMatchObject({
      calls: 1,
      successRate: 1,
      p50LatencyMs: 7,
      p95LatencyMs: 7,
    });
    expect(tracker.stats('unknown')).toMatchObject({
      calls: 0,
      successRate: null,
      p50LatencyMs: null,
      lastError: null,
    });
  });

  it('keeps only the last maxSamples calls', () => {
    const tracker = createHealthTracker({ maxSamples: 3 });
    for (const ok of [false, false, true, true, true]) tracker.record('crm', { ok, latencyMs: 1 });
    expect(tracker.stats('crm')).toMatchObject({ calls: 3, successRate: 1 });
  });

  it('computes percentiles by nearest rank', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([5], 0.95)).toBe(5);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
  });
});

describe('createHealthView', () => {
  it('shows a failing credential callback as invalid instead of failing', async () => {
    const view = createHealthView({
      connectors: [connector(async () => ({ ok: true, detail: 'ok' }))],
      tracker: createHealthTracker(),
      circuitState: () => 'open',
      credentialStatus: async () => {
        throw new Error('secret=hunter2');
      },
    });
    const [health] = await view();
    expect(health).toMatchObject({ id: 'crm', circuit: 'open', calls: 0, credentials: { state: 'invalid' } });
    expect(JSON.stringify(health)).not.toContain('hunter2');
  });
});

describe('checkConnector', () => {
  it('reports success, failure and a hung check', async () => {
    expect(await checkConnector(connector(async () => ({ ok: true, detail: 'me@crm' })))).toMatchObject({
      ok: true,
      detail: 'me@crm',
    });
    expect(
      await checkConnector(
        connector(async () => {
          throw new Error('401 unauthorized');
        }),
      ),
    ).toMatchObject({ ok: false, detail: 'check failed: 401 unauthorized' });
    let aborted = false;
    const hung = connector(
      (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
    );
    expect(await checkConnector(hung, 30)).toMatchObject({
      ok: false,
      detail: 'check timed out after 30 ms',
    });
    expect(aborted).toBe(true);
  });
});
