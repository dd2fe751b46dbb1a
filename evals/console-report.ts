import { formatPercent, type SuiteSummary } from './metrics.ts';
import type { EvalRunReport } from './report.ts';
import type { ScenarioResult } from './run-scenario.ts';

/** Anything with `write` (process.stderr, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * A one-line progress bar on a terminal (`\r` updates); without a terminal, one line per finished
 * run so CI logs stay readable.
 */
export function createProgressBar(sink: TextSink, width = 30) {
  let passed = 0;
  let failed = 0;
  return {
    update(result: ScenarioResult, progress: { done: number; total: number }) {
      if (result.passed) passed += 1;
      else failed += 1;
      const filled = Math.round((progress.done / progress.total) * width);
      const counts = `${progress.done}/${progress.total}  pass ${passed}  fail ${failed}`;
      const label = `${result.baseline === 'kb-only' ? '[kb-only] ' : ''}${result.id}`;
      if (sink.isTTY) {
        const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
        sink.write(`\r\u001b[2K${bar} ${counts}  ${label.slice(0, 40)}`);
        if (progress.done === progress.total) sink.write('\n');
      } else {
        sink.write(`${counts}  ${result.passed ? 'PASS' : 'FAIL'} ${label}\n`);
      }
    },
  };
}

const pad = (text: string, width: number) =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);

/** The summary table printed at the end of a run, then the failed scenarios with their failing checks. */
export function formatConsoleSummary(report: EvalRunReport): string {
  const { summary, baselineSummary: baseline } = report;
  const rows: Array<[string, (s: SuiteSummary) => string]> = [
    [
      'Correct handling',
      (s) => `${s.correctHandling.count}/${s.total} ${formatPercent(s.correctHandling.rate)}`,
    ],
    ['Resolution rate', (s) => `${s.resolution.count}/${s.total} ${formatPercent(s.resolution.rate)}`],
    ['Harmful actions', (s) => `${s.harmfulActions}`],
    ['False resolutions', (s) => `${s.falseResolutions.count}`],
    [
      `pass^${summary.runs}`,
      (s) => `${s.passHatK.count}/${s.passHatK.total} ${formatPercent(s.passHatK.rate)}`,
    ],
    [
      'Turn latency p50/p95',
      (s) => (s.latencyMs ? `${Math.round(s.latencyMs.p50)} / ${Math.round(s.latencyMs.p95)} ms` : '-'),
    ],
    ['Errors', (s) => `${s.errors}`],
  ];
  if (summary.tokens)
    rows.push(['Tokens in/out', (s) => (s.tokens ? `${s.tokens.agentInput}/${s.tokens.agentOutput}` : '-')]);
  const lines = [
    '',
    `Suite ${report.suite}: ${summary.scenarios} scenarios × ${summary.runs} run(s), reasoner ${report.options.reasoner}`,
    `${pad('', 24)}${pad('agent', 22)}${baseline ? 'kb-only baseline' : ''}`,
    ...rows.map(
      ([label, value]) => `${pad(label, 24)}${pad(value(summary), 22)}${baseline ? value(baseline) : ''}`,
    ),
    '',
    'By tag:',
    ...summary.byTag.map((tag) => {
      const base = baseline?.byTag.find((entry) => entry.tag === tag.tag);
      return `  ${pad(tag.tag, 22)}${pad(`${tag.count}/${tag.total} ${formatPercent(tag.rate)}`, 22)}${base ? `${base.count}/${base.total} ${formatPercent(base.rate)}` : ''}`;
    }),
  ];
  const failed = report.results.filter((result) => result.baseline === 'none' && !result.passed);
  if (failed.length > 0) {
    lines.push('', `Failed (${failed.length}):`);
    for (const result of failed) {
      lines.push(`  ${result.id}${summary.runs > 1 ? ` (run ${result.run + 1})` : ''}`);
      for (const failure of result.failures) lines.push(`    ${failure}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
