import { formatPercent } from '../shared/format.ts';

/** One run of a suite (`GET /api/admin/evals`): the agent's metrics, and the kb-only baseline's if run. */
export interface EvalRun {
  id: string;
  suite: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  scenarios: number | null;
  total: number | null;
  correctHandlingRate: number | null;
  resolutionRate: number | null;
  harmfulRate: number | null;
  latencyP95Ms: number | null;
  baselineResolutionRate: number | null;
  thresholdFailures: string[];
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

export function readEvalRun(value: unknown): EvalRun {
  const row = (value ?? {}) as Record<string, unknown>;
  const agent = (row.agent ?? {}) as Record<string, unknown>;
  const baseline = (row.baseline ?? {}) as Record<string, unknown>;
  return {
    id: String(row.id),
    suite: String(row.suite ?? ''),
    status: String(row.status ?? (row.finishedAt ? 'finished' : 'running')),
    startedAt: (row.startedAt as string | null) ?? null,
    finishedAt: (row.finishedAt as string | null) ?? null,
    scenarios: numberOrNull(agent.scenarios),
    total: numberOrNull(agent.total),
    correctHandlingRate: numberOrNull(agent.correctHandlingRate),
    resolutionRate: numberOrNull(agent.resolutionRate),
    harmfulRate: numberOrNull(agent.harmfulRate),
    latencyP95Ms: numberOrNull(agent.latencyP95Ms),
    baselineResolutionRate: numberOrNull(baseline.resolutionRate),
    thresholdFailures: Array.isArray(row.thresholdFailures) ? row.thresholdFailures.map(String) : [],
  };
}

/** A rate as a percentage, or a dash. */
export const rateText = (rate: number | null) => formatPercent(rate);
