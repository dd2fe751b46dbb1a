import { describe, expect, it } from 'vitest';
import { perMinute, rssGrowth } from './soak-report.ts';

const mb = 2 ** 20;
/** One sample every 10 s for `seconds`, RSS given by `rssAt(seconds)`. */
const samplesOf = (seconds: number, rssAt: (at: number) => number) =>
  Array.from({ length: seconds / 10 + 1 }, (_, step) => ({ atSeconds: step * 10, bytes: rssAt(step * 10) }));

describe('rssGrowth', () => {
  it('stays near 1.0 for a process whose memory only wobbles with the load', () => {
    // ±4 MB, alternating sample by sample.
    const samples = samplesOf(600, (at) => (200 + ((at / 10) % 2 === 0 ? 4 : -4)) * mb);
    const { ratio, warmMedian, lastMedian } = rssGrowth(samples, 600);
    expect(warmMedian).toBe(200 * mb); // 12 samples, 6 high and 6 low
    expect(lastMedian).toBe(204 * mb); // 540..600 s: 7 samples, 4 high
    expect(ratio).toBeCloseTo(1.02, 6);
  });

  it('shows a leak: 1 MB every 10 s is +35% from minutes 2–3 to minute 10', () => {
    const samples = samplesOf(600, (at) => (200 + at / 10) * mb);
    const { ratio } = rssGrowth(samples, 600);
    // Medians: minutes 2–3 (60..170 s) → 211.5 MB; last minute (540..600 s) → 257 MB.
    expect(ratio).toBeCloseTo(257 / 211.5, 6);
    expect(ratio).toBeGreaterThan(1.1);
  });

  it('ignores the warm-up: a start-up climb in the first minute is not growth', () => {
    const samples = samplesOf(600, (at) => (at < 60 ? 100 + at : 180) * mb);
    expect(rssGrowth(samples, 600).ratio).toBe(1);
  });

  it('has no ratio when the run is too short to have both windows', () => {
    expect(
      rssGrowth(
        samplesOf(180, () => mb),
        180,
      ).ratio,
    ).toBeNaN();
  });
});

describe('perMinute', () => {
  it('groups replies by the minute they ended in, with failures and percentiles', () => {
    const rows = perMinute([
      { atSeconds: 5, ms: 100, failed: false },
      { atSeconds: 59.9, ms: 300, failed: false },
      { atSeconds: 60, ms: 50, failed: true },
      { atSeconds: 125, ms: 80, failed: false },
    ]);
    expect(rows).toEqual([
      { minute: 1, turns: 2, failed: 0, p50: 100, p95: 300 },
      { minute: 2, turns: 0, failed: 1, p50: 50, p95: 50 },
      { minute: 3, turns: 1, failed: 0, p50: 80, p95: 80 },
    ]);
  });
});
