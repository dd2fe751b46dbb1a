import type { EvalRunSummary } from '../../../api/contract/admin.ts';
import { formatPercent } from '../shared/format.ts';

/**
 * A run of a suite (`GET /api/admin/evals`, `EvalRunSummary` of the API contract) as a row of the
 * evals page: the agent's metrics, and the kb-only baseline's resolution rate if it ran.
 */
export function evalRow(run: EvalRunSummary) {
  return {
    id: run.id,
    suite: run.suite,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    scenarios: run.agent?.scenarios ?? null,
    total: run.agent?.total ?? null,
    correctHandlingRate: run.agent?.correctHandlingRate ?? null,
    resolutionRate: run.agent?.resolutionRate ?? null,
    harmfulRate: run.agent?.harmfulRate ?? null,
    latencyP95Ms: run.agent?.latencyP95Ms ?? null,
    baselineResolutionRate: run.baseline?.resolutionRate ?? null,
    thresholdFailures: run.thresholdFailures,
    /** While running: runs done / total and the pass / fail counts so far. */
    progress: run.progress ?? null,
  };
}

export type EvalRow = ReturnType<typeof evalRow>;

/** A rate as a percentage, or a dash. */
export const rateText = (rate: number | null) => formatPercent(rate);
