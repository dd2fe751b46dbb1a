import { type CheckContext, type CheckResult, verdict } from './types.ts';

/** `expect.max_turns`: the conversation ended within that many customer messages. */
export function checkMaxTurns(context: CheckContext): CheckResult | null {
  const limit = context.scenario.expect.max_turns;
  if (limit === undefined) return null;
  if (context.customerMessages > limit)
    return verdict('max_turns', [`the customer sent ${context.customerMessages} messages, max ${limit}`]);
  if (context.stoppedBy === 'max-turns')
    return verdict('max_turns', [`the conversation was still going after ${limit} customer messages`]);
  return verdict('max_turns', []);
}
