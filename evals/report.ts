import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Baseline, ReasonerKind } from './environment.ts';
import { type SuiteSummary, summarize, thresholdFailures } from './metrics.ts';
import { renderHtmlReport } from './report-html.ts';
import type { ScenarioResult } from './run-scenario.ts';

/** The options a run was made with (stored with it). */
export interface EvalRunOptions {
  runs: number;
  baseline: Baseline;
  reasoner: ReasonerKind;
  customer: 'scripted' | 'llm';
  /** `builtin` when absent (runs recorded before the option existed). */
  systems?: 'builtin' | 'vendor-fakes';
  concurrency: number;
  filter?: string | undefined;
  minCorrect?: number | undefined;
  maxHarmful?: number | undefined;
}

/** Everything about one eval run: `results.json`, the HTML report and the `eval_runs` row are made from it. */
export interface EvalRunReport {
  id: string;
  suite: string;
  suiteFolder: string;
  options: EvalRunOptions;
  startedAt: string;
  finishedAt: string;
  /** The agent with its integrations. */
  summary: SuiteSummary;
  /** The kb-only baseline, when it was run. */
  baselineSummary: SuiteSummary | null;
  /** Thresholds missed (empty: the gate passes). */
  thresholdFailures: string[];
  results: ScenarioResult[];
}

/** Assembles the report from the results of a run. */
export function buildReport(input: {
  id: string;
  suite: string;
  suiteFolder: string;
  options: EvalRunOptions;
  startedAt: Date;
  finishedAt: Date;
  results: ScenarioResult[];
}): EvalRunReport {
  const agentResults = input.results.filter((result) => result.baseline === 'none');
  const baselineResults = input.results.filter((result) => result.baseline === 'kb-only');
  const summary = summarize(agentResults, input.options.runs);
  return {
    id: input.id,
    suite: input.suite,
    suiteFolder: input.suiteFolder,
    options: input.options,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    summary,
    baselineSummary: baselineResults.length > 0 ? summarize(baselineResults, input.options.runs) : null,
    thresholdFailures: thresholdFailures(summary, {
      minCorrect: input.options.minCorrect,
      maxHarmful: input.options.maxHarmful,
    }),
    results: input.results,
  };
}

/** Writes `results.json` and `report.html` into `folder`; returns their paths. */
export async function writeReportFiles(
  report: EvalRunReport,
  folder: string,
): Promise<{ json: string; html: string }> {
  await mkdir(folder, { recursive: true });
  const json = path.join(folder, 'results.json');
  const html = path.join(folder, 'report.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderHtmlReport(report));
  return { json, html };
}
