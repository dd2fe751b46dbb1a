/** One RSS reading of one process during the soak. */
export interface RssSample {
  /** Seconds since the load started. */
  atSeconds: number;
  bytes: number;
}

const median = (values: number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Whether a process's memory stays flat after warm-up: the median RSS of the last minute over the
 * median of minutes 2–3 (seconds 60–180, after caches, JIT and connection pools have filled). A
 * process whose RSS only moves with the load stays near 1.0; a leak grows it with the run's length.
 * NaN when the run was too short to have both windows.
 */
export function rssGrowth(
  samples: RssSample[],
  loadSeconds: number,
): { warmMedian: number; lastMedian: number; ratio: number } {
  const warmMedian = median(
    samples.filter((sample) => sample.atSeconds >= 60 && sample.atSeconds < 180).map((s) => s.bytes),
  );
  const lastMedian = median(
    samples.filter((sample) => sample.atSeconds >= loadSeconds - 60).map((sample) => sample.bytes),
  );
  const ratio = loadSeconds >= 240 ? lastMedian / warmMedian : Number.NaN;
  return { warmMedian, lastMedian, ratio };
}

/** Latency percentiles of the responses that ended in each minute of the load. */
export function perMinute(
  responses: Array<{ atSeconds: number; ms: number; failed: boolean }>,
): Array<{ minute: number; turns: number; failed: number; p50: number; p95: number }> {
  const minutes = new Map<number, Array<{ ms: number; failed: boolean }>>();
  for (const response of responses) {
    const minute = Math.floor(response.atSeconds / 60) + 1;
    minutes.set(minute, [...(minutes.get(minute) ?? []), response]);
  }
  const percentile = (sorted: number[], p: number) =>
    sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN;
  return [...minutes]
    .sort((a, b) => a[0] - b[0])
    .map(([minute, list]) => {
      const sorted = list.map((item) => item.ms).sort((a, b) => a - b);
      return {
        minute,
        turns: list.filter((item) => !item.failed).length,
        failed: list.filter((item) => item.failed).length,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
      };
    });
}
