import type { LoadResult } from './customer-load.ts';

/** One measured target: its load result and the CPU its processes used during the load. */
export interface TargetReport {
  name: string;
  load: LoadResult;
  /** CPU seconds per process (or group of processes) during the load. */
  cpu: Array<[string, number]>;
  /** Resident memory per process (or group) at the end of the load, in bytes. */
  rss?: Array<[string, number]>;
  /** CPU seconds the whole machine was busy during the load, and the wall seconds it lasted. */
  machineBusySeconds: number | null;
  /** 1-minute load average when the target started. */
  loadAverage: number;
  /** Set-up facts worth printing (seed/index time, warm-up). */
  notes: string[];
}

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The results table: one row per target. */
export function resultsTable(reports: TargetReport[]): string[] {
  return [
    '| target | requests | s | req/s | turns/s | p50 ms | p95 ms | p99 ms | max ms | errors | non-2xx | timeouts | bad streams |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...reports
      .map(({ name, load }) =>
        [
          name,
          load.requests,
          fixed(load.seconds, 1),
          fixed(load.requestsPerSecond, load.requestsPerSecond < 100 ? 1 : 0),
          load.turns ? fixed(load.turnsPerSecond, 1) : '–',
          fixed(load.latencyMs.p50, 1),
          fixed(load.latencyMs.p95, 1),
          fixed(load.latencyMs.p99, 1),
          fixed(load.latencyMs.max, 1),
          load.errors,
          load.non2xx,
          load.timeouts,
          load.turns ? load.badStreams : '–',
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
  ];
}

/** Where the CPU went during each load: per process, per turn, and what other processes took. */
export function cpuTable(reports: TargetReport[], cores: number): string[] {
  const rows: string[] = [];
  for (const { name, load, cpu, rss, machineBusySeconds, loadAverage } of reports) {
    const ours = cpu.reduce((sum, [, seconds]) => sum + seconds, 0);
    const perUnit = (seconds: number) =>
      load.turns
        ? `${fixed((seconds * 1000) / load.turns, 1)} ms/turn`
        : `${fixed((seconds * 1e6) / load.requests, 1)} µs/req`;
    const cells = cpu.map(([process, seconds]) => `${process} ${fixed(seconds, 1)} s (${perUnit(seconds)})`);
    const others =
      machineBusySeconds === null ? '–' : `${fixed(Math.max(0, machineBusySeconds - ours), 1)} s`;
    const memory = rss?.length
      ? rss.map(([process, bytes]) => `${process} ${fixed(bytes / 2 ** 20)} MB`).join('; ')
      : '–';
    rows.push(
      `| ${name} | ${cells.join('; ')} | ${memory} | ${others} | ${fixed((ours / (load.seconds * cores)) * 100)}% | ${fixed(loadAverage, 1)} |`,
    );
  }
  return [
    `| target | CPU during the load (per process) | RSS at the end | other processes on the machine | our share of ${cores} cores | load avg at start |`,
    '|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** Final `data-status` values and escalations per conversation target. */
export function streamTable(reports: TargetReport[]): string[] {
  return [
    '| target | final data-status of each reply | escalations |',
    '|---|---|---|',
    ...reports
      .filter((report) => report.load.turns || report.load.badStreams)
      .map(
        ({ name, load }) =>
          `| ${name} | ${Object.entries(load.statuses)
            .map(([status, count]) => `${status} ${count}`)
            .join(', ')} | ${load.escalations} |`,
      ),
  ];
}

/** Latency of each customer's first message (it waits behind everyone) vs its later ones. */
export function positionTable(reports: TargetReport[]): string[] {
  const rows = reports.filter((report) => report.load.byPosition);
  return [
    '| target | first message p50 / p95 ms | later messages p50 / p95 ms |',
    '|---|---|---|',
    ...rows.map(({ name, load }) => {
      const { first, later } = load.byPosition!;
      return `| ${name} | ${fixed(first.p50)} / ${fixed(first.p95)} | ${fixed(later.p50)} / ${fixed(later.p95)} |`;
    }),
  ];
}
