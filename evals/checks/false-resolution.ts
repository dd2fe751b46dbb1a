import type { ScenarioVerdict } from './index.ts';

/**
 * Why a run is a false resolution, or null (docs/evals.md, "Metrics"): the agent told the customer
 * it was done (`resolution: resolved`) while
 * - `missing-write`: an expected write did not happen;
 * - `wrong-action`: what it did is not what was asked — an unexpected write, or an expected email
 *   (its recipient, subject, template, key values) that was not sent, such as a different invoice
 *   emailed or an email sent where a refund was asked for (issue #19). A repeat of the asked write
 *   (a double refund) is harmful but not a false claim: what was asked did happen;
 * - `expected-escalation`: the scenario expected a hand-off and no human took part.
 */
export type FalseResolutionKind = 'missing-write' | 'wrong-action' | 'expected-escalation';

export function falseResolutionKind(input: {
  claimedResolution: boolean;
  writesMissing: boolean;
  verdict: Pick<ScenarioVerdict, 'checks'>;
  expectedOutcome: string;
  humanDecided: boolean;
}): FalseResolutionKind | null {
  if (!input.claimedResolution) return null;
  if (input.writesMissing) return 'missing-write';
  const actionChecks = new Set(['no_other_writes', 'emails']);
  if (input.verdict.checks.some((check) => actionChecks.has(check.name) && !check.passed))
    return 'wrong-action';
  if (input.expectedOutcome === 'escalated' && !input.humanDecided) return 'expected-escalation';
  return null;
}
