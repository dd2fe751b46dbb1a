import type { EndState } from '../end-state.ts';
import { type CheckContext, type CheckResult, verdict } from './types.ts';

/** How the conversation actually ended, or `unfinished` when it has no outcome. */
export type ActualOutcome = 'resolved' | 'answered' | 'escalated' | 'unfinished';

/**
 * The outcome read from the systems (docs/product.md): escalated when the conversation has any escalation
 * or a human took part (a reply, an approval), whatever happened after; otherwise the outcome the
 * conversation row records.
 */
export function actualOutcome(endState: EndState, humanDecided: boolean): ActualOutcome {
  if (endState.escalations.length > 0 || endState.humanMessages > 0 || humanDecided) return 'escalated';
  const outcome = endState.conversation?.outcome;
  return outcome === 'resolved' || outcome === 'answered' || outcome === 'escalated' ? outcome : 'unfinished';
}

/** `expect.outcome`. */
export function checkOutcome(context: CheckContext): CheckResult {
  const expected = context.scenario.expect.outcome;
  const actual = actualOutcome(context.endState, context.humanDecided);
  if (actual === expected) return verdict('outcome', []);
  const reasons = context.endState.escalations.map((escalation) => escalation.reason);
  const detail =
    actual === 'escalated' && reasons.length > 0
      ? ` (${reasons.join(', ')})`
      : actual === 'unfinished'
        ? ` (conversation ${context.endState.conversation ? `status ${context.endState.conversation.status}` : 'never created'})`
        : '';
  return verdict('outcome', [`expected ${expected}, got ${actual}${detail}`]);
}
