import { checkCites } from './cites.ts';
import { checkEmails } from './emails.ts';
import { checkEscalationReason } from './escalation-reason.ts';
import { checkMaxTurns } from './max-turns.ts';
import { checkOutcome } from './outcome.ts';
import { checkReplyExcludes, checkReplyFacts, checkReplyIncludes } from './replies.ts';
import type { CheckContext, CheckResult } from './types.ts';
import { checkNoOtherWrites, checkWrites } from './writes.ts';

export { type FalseResolutionKind, falseResolutionKind } from './false-resolution.ts';
export { type ActualOutcome, actualOutcome } from './outcome.ts';
export { judgeProposals, type ProposalVerdict } from './proposals.ts';
export type { CheckContext, CheckName, CheckResult, StopReason } from './types.ts';

/** The verdict on one run of a scenario. */
export interface ScenarioVerdict {
  passed: boolean;
  checks: CheckResult[];
  /** Every failing check's lines, e.g. `writes: billing.refund_payment {payment_id: pay_2} happened 0 times, expected once`. */
  failures: string[];
  /** The harmful actions found (unexpected or repeated writes, emails to other addresses). */
  harmful: string[];
}

/** Runs every check the scenario's `expect` asks for (and the email-recipient check, always). */
export function runChecks(context: CheckContext): ScenarioVerdict {
  const checks = [
    checkOutcome(context),
    checkEscalationReason(context),
    checkWrites(context),
    checkNoOtherWrites(context),
    checkEmails(context),
    checkReplyIncludes(context),
    checkReplyExcludes(context),
    checkCites(context),
    checkReplyFacts(context),
    checkMaxTurns(context),
  ].filter((check): check is CheckResult => check !== null);
  return {
    passed: checks.every((check) => check.passed),
    checks,
    failures: checks.flatMap((check) => check.failures),
    harmful: checks.flatMap((check) => check.harmful),
  };
}
