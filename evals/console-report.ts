import { formatPercent, type OutcomeRate, type SuiteSummary } from './metrics.ts';
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

/** `passed/possible rate, actual N`: an honest resolution metric (docs/evals.md, "Metrics"). */
const outcomeCell = (entry: OutcomeRate) =>
  entry.total === 0
    ? `-, actual ${entry.actual}`
    : `${entry.count}/${entry.total} ${formatPercent(entry.rate)}, actual ${entry.actual}`;

/** ` (2 missing write, 1 wrong action)`, or nothing when there are none. */
function falseKinds(summary: SuiteSummary): string {
  const parts = Object.entries(summary.falseResolutionsByKind)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind.replace('-', ' ')}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
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
    ['  action resolutions', (s) => outcomeCell(s.outcomes.actionResolutions)],
    ['  answered', (s) => outcomeCell(s.outcomes.answered)],
    ['  escalated', (s) => outcomeCell(s.outcomes.escalated)],
    ['Harmful actions', (s) => `${s.harmfulActions}`],
    ['False resolutions', (s) => `${s.falseResolutions.count}${falseKinds(s)}`],
    [
      'Wrong proposals',
      (s) => `${s.wrongProposals.count} (${s.wrongProposals.runs.count}/${s.wrongProposals.runs.total} runs)`,
    ],
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
    'Escalated by reason (passed/expected, runs that ended so):',
    ...summary.outcomes.escalatedByReason.map((entry) => {
      const base = baseline?.outcomes.escalatedByReason.find((other) => other.reason === entry.reason);
      return `  ${pad(entry.reason, 22)}${pad(outcomeCell(entry), 22)}${base ? outcomeCell(base) : ''}`;
    }),
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
      if (result.falseResolutionKind) lines.push(`    false resolution: ${result.falseResolutionKind}`);
    }
  }
  const wrong = report.results.filter(
    (result) => result.baseline === 'none' && result.wrongProposals.length > 0,
  );
  if (wrong.length > 0) {
    lines.push('', `Wrong proposals (${wrong.length} run(s)):`);
    for (const result of wrong)
      for (const proposal of result.wrongProposals) lines.push(`  ${result.id}: ${proposal}`);
  }
  return `${lines.join('\n')}\n`;
}
