import type { EndState } from '../end-state.ts';
import type { Scenario } from '../scenario-schema.ts';
import type { TranscriptEntry } from '../transcript.ts';

/** Why the conversation loop stopped. */
export type StopReason = 'resolution' | 'escalation' | 'closed' | 'nothing-to-say' | 'max-turns' | 'error';

/** Everything a check may look at: the scenario, the systems' end state and the transcript. */
export interface CheckContext {
  scenario: Scenario;
  endState: EndState;
  transcript: readonly TranscriptEntry[];
  /** How many messages the customer sent. */
  customerMessages: number;
  stoppedBy: StopReason;
  /** The runner answered an approval on the human's behalf (a human took part). */
  humanDecided: boolean;
}

/** The names of the checks, as docs/evals.md names the expectations. */
export type CheckName =
  | 'run'
  | 'outcome'
  | 'escalation_reason'
  | 'writes'
  | 'no_other_writes'
  | 'emails'
  | 'reply_includes'
  | 'reply_excludes'
  | 'cites'
  | 'reply_contains_fact'
  | 'max_turns';

/** One check's verdict; every failure is a line naming the check (`writes: … happened 0 times, expected once`). */
export interface CheckResult {
  name: CheckName;
  passed: boolean;
  failures: string[];
  /** Harmful actions this check found (writes or emails that should not have happened). */
  harmful: string[];
}

export function verdict(name: CheckName, failures: string[], harmful: string[] = []): CheckResult {
  return {
    name,
    passed: failures.length === 0,
    failures: failures.map((failure) => `${name}: ${failure}`),
    harmful,
  };
}
