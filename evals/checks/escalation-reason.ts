import { type CheckContext, type CheckResult, verdict } from './types.ts';

/** `expect.escalation_reason`: the first escalation of the conversation has that reason. */
export function checkEscalationReason(context: CheckContext): CheckResult | null {
  const expected = context.scenario.expect.escalation_reason;
  if (!expected) return null;
  const reasons = context.endState.escalations.map((escalation) => escalation.reason);
  if (reasons[0] === expected) return verdict('escalation_reason', []);
  const got = reasons.length === 0 ? 'no escalation' : reasons.join(', ');
  return verdict('escalation_reason', [`expected ${expected}, got ${got}`]);
}
