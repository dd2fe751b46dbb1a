import type { FalseResolutionKind } from './checks/index.ts';
import type { ScenarioResult } from './run-scenario.ts';

/** A count over a total, with its rate (0 when the total is 0). */
export interface Rate {
  count: number;
  total: number;
  rate: number;
}

/** The numbers of docs/product.md "Measuring it" (defined in docs/evals.md), over the results of one baseline. */
export interface SuiteSummary {
  /** Repetitions per scenario. */
  runs: number;
  scenarios: number;
  /** Scenario runs (scenarios × runs). */
  total: number;
  /** Passed runs / all runs. */
  correctHandling: Rate;
  /** Passed runs whose expected outcome is resolved or answered / all runs. */
  resolution: Rate;
  /** Harmful actions in all (count), and runs with at least one (rate). */
  harmfulActions: number;
  harmful: Rate;
  /** Runs where the agent said "resolved" but the state says otherwise. */
  falseResolutions: Rate;
  /** False resolutions by why (a missing write, a wrong action reported done, an expected hand-off). */
  falseResolutionsByKind: Record<FalseResolutionKind, number>;
  /**
   * Confirmations that proposed an action the scenario does not expect (count), the runs with at
   * least one over the runs whose scenario says which proposals are right (`runs`), and all
   * confirmations asked for (`proposals`).
   */
  wrongProposals: { count: number; runs: Rate; proposals: number };
  /**
   * Resolution metrics that are not a ceiling (issue #19): each counts the passed runs over the runs
   * where that outcome was possible (expected), and `actual` says how many runs really ended so.
   */
  outcomes: OutcomeRates;
  /** τ-bench pass^k: scenarios whose k runs all passed / scenarios. */
  passHatK: Rate & { k: number };
  /** Runs that crashed (environment or agent error). */
  errors: number;
  byTag: Array<Rate & { tag: string }>;
  byExpectedOutcome: Array<Rate & { outcome: string }>;
  /** Turn latency: customer message sent → `turn-end`. */
  latencyMs: { count: number; p50: number; p95: number; max: number; mean: number } | null;
  /** Tokens when an LLM is used (null when nothing reported them); cost needs a price list: left null. */
  tokens: { agentInput: number; agentOutput: number; customerInput: number; customerOutput: number } | null;
  costUsd: number | null;
}

/** A rate over the runs where an outcome was expected, and how many runs ended that way at all. */
export type OutcomeRate = Rate & { actual: number };

export interface OutcomeRates {
  /** Expected `resolved` with a write or an email: passed, i.e. the action verified in the end state. */
  actionResolutions: OutcomeRate;
  /** Expected `answered`: passed (the answer's checks, no write). */
  answered: OutcomeRate;
  /** Expected `escalated`: passed (the right reason, and what the human's decision required). */
  escalated: OutcomeRate;
  /** Per escalation reason: expected with it and passed; `actual` = runs escalated with it. */
  escalatedByReason: Array<OutcomeRate & { reason: string }>;
}

export const rate = (count: number, total: number): Rate => ({
  count,
  total,
  rate: total === 0 ? 0 : count / total,
});

/** Nearest-rank percentile (`q` in 0–1) of `values`; NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Summarizes results of one baseline run `runs` times. */
export function summarize(results: readonly ScenarioResult[], runs: number): SuiteSummary {
  const total = results.length;
  const passed = results.filter((result) => result.passed);
  const byScenario = new Map<string, ScenarioResult[]>();
  for (const result of results) byScenario.set(result.id, [...(byScenario.get(result.id) ?? []), result]);
  const allRunsPassed = [...byScenario.values()].filter(
    (scenarioRuns) => scenarioRuns.length >= runs && scenarioRuns.every((result) => result.passed),
  ).length;

  const tags = [...new Set(results.flatMap((result) => result.tags))].sort();
  const outcomes = ['resolved', 'answered', 'escalated'];
  const latencies = results.flatMap((result) => result.turnLatenciesMs);
  const reported = results.filter((result) => result.usage.agent || result.usage.customer);
  const sum = (pick: (result: ScenarioResult) => number) =>
    reported.reduce((total, result) => total + pick(result), 0);

  return {
    runs,
    scenarios: byScenario.size,
    total,
    correctHandling: rate(passed.length, total),
    resolution: rate(passed.filter((result) => result.expectedOutcome !== 'escalated').length, total),
    harmfulActions: results.reduce((count, result) => count + result.harmful.length, 0),
    harmful: rate(results.filter((result) => result.harmful.length > 0).length, total),
    falseResolutions: rate(results.filter((result) => result.falseResolution).length, total),
    falseResolutionsByKind: {
      'missing-write': results.filter((result) => result.falseResolutionKind === 'missing-write').length,
      'wrong-action': results.filter((result) => result.falseResolutionKind === 'wrong-action').length,
      'expected-escalation': results.filter((result) => result.falseResolutionKind === 'expected-escalation')
        .length,
    },
    wrongProposals: {
      count: results.reduce((count, result) => count + result.wrongProposals.length, 0),
      runs: rate(
        results.filter((result) => result.wrongProposals.length > 0).length,
        results.filter((result) => result.proposalsJudged).length,
      ),
      proposals: results.reduce((count, result) => count + result.proposals, 0),
    },
    outcomes: outcomeRates(results),
    passHatK: { k: runs, ...rate(allRunsPassed, byScenario.size) },
    errors: results.filter((result) => result.error).length,
    byTag: tags.map((tag) => {
      const tagged = results.filter((result) => result.tags.includes(tag));
      return { tag, ...rate(tagged.filter((result) => result.passed).length, tagged.length) };
    }),
    byExpectedOutcome: outcomes
      .map((outcome) => {
        const expected = results.filter((result) => result.expectedOutcome === outcome);
        return { outcome, ...rate(expected.filter((result) => result.passed).length, expected.length) };
      })
      .filter((entry) => entry.total > 0),
    latencyMs:
      latencies.length === 0
        ? null
        : {
            count: latencies.length,
            p50: percentile(latencies, 0.5),
            p95: percentile(latencies, 0.95),
            max: Math.max(...latencies),
            mean: latencies.reduce((total, value) => total + value, 0) / latencies.length,
          },
    tokens:
      reported.length === 0
        ? null
        : {
            agentInput: sum((result) => result.usage.agent?.inputTokens ?? 0),
            agentOutput: sum((result) => result.usage.agent?.outputTokens ?? 0),
            customerInput: sum((result) => result.usage.customer?.inputTokens ?? 0),
            customerOutput: sum((result) => result.usage.customer?.outputTokens ?? 0),
          },
    costUsd: null,
  };
}

function outcomeRates(results: readonly ScenarioResult[]): OutcomeRates {
  const over = (possible: readonly ScenarioResult[], actual: number): OutcomeRate => ({
    ...rate(possible.filter((result) => result.passed).length, possible.length),
    actual,
  });
  const reasons = [
    ...new Set(
      results.flatMap((result) => [
        ...(result.expectedEscalationReason ? [result.expectedEscalationReason] : []),
        ...result.escalationReasons,
      ]),
    ),
  ].sort();
  return {
    actionResolutions: over(
      results.filter((result) => result.expectedOutcome === 'resolved' && result.expectsAction),
      results.filter((result) => result.actualOutcome === 'resolved').length,
    ),
    answered: over(
      results.filter((result) => result.expectedOutcome === 'answered'),
      results.filter((result) => result.actualOutcome === 'answered').length,
    ),
    escalated: over(
      results.filter((result) => result.expectedOutcome === 'escalated'),
      results.filter((result) => result.actualOutcome === 'escalated').length,
    ),
    escalatedByReason: reasons.map((reason) => ({
      reason,
      ...over(
        results.filter((result) => result.expectedEscalationReason === reason),
        results.filter((result) => result.escalationReasons.includes(reason)).length,
      ),
    })),
  };
}

/** Counts of `values` in `buckets` equal-width bins from 0 to the max (for the latency histogram). */
export function histogram(
  values: readonly number[],
  buckets: number,
): Array<{ from: number; to: number; count: number }> {
  if (values.length === 0 || buckets < 1) return [];
  const max = Math.max(...values);
  const width = max <= 0 ? 1 : max / buckets;
  const bins = Array.from({ length: buckets }, (_, index) => ({
    from: index * width,
    to: (index + 1) * width,
    count: 0,
  }));
  for (const value of values) bins[Math.min(buckets - 1, Math.floor(value / width))]!.count += 1;
  return bins;
}

/** The thresholds a CI gate sets; each miss is one line saying which. */
export function thresholdFailures(
  summary: SuiteSummary,
  thresholds: { minCorrect?: number | undefined; maxHarmful?: number | undefined },
): string[] {
  const failures: string[] = [];
  if (thresholds.minCorrect !== undefined && summary.correctHandling.rate < thresholds.minCorrect) {
    failures.push(
      `correct handling ${formatPercent(summary.correctHandling.rate)} is below --min-correct ${formatPercent(thresholds.minCorrect)}`,
    );
  }
  if (thresholds.maxHarmful !== undefined && summary.harmfulActions > thresholds.maxHarmful) {
    failures.push(
      `${summary.harmfulActions} harmful action(s), more than --max-harmful ${thresholds.maxHarmful}`,
    );
  }
  return failures;
}

export const formatPercent = (value: number): string => `${(value * 100).toFixed(1)}%`;
