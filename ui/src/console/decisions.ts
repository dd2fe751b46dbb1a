import type { ConsoleMessage } from '../../../api/contract/console.ts';

const decisionKinds = ['approval', 'decision_failed', 'decision_void'];

/**
 * Why the last decision on the pending action was not carried out (its failure note), or null when
 * it was, or none was made yet. Notes follow their decision in the transcript.
 */
export function lastDecisionFailure(transcript: ConsoleMessage[]): string | null {
  const last = transcript.findLast(
    (entry) => entry.role === 'system' && decisionKinds.includes(String(entry.metadata.kind)),
  );
  return last && last.metadata.kind !== 'approval' ? last.text : null;
}
