import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import { kbQuestionProcedure } from '../procedures/kb-question.ts';
import { otherProcedure } from '../procedures/other.ts';
import { ReadFailed } from '../procedures/procedure.ts';
import type { CallRecord, SupportStateUpdate, SupportStateValue } from '../state.ts';
import { strongerOutcome } from '../state.ts';
import { emit, procedureContext, say } from './toolkit.ts';

/**
 * The agent is not sure what the customer wants: answer from the help center when it can, otherwise
 * say what it can do and ask. No action is taken on a guess; a second unclear message in a row hands
 * over with `low_confidence` (guardrails).
 */
export async function clarify(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const records: CallRecord[] = [];
  const context = await procedureContext(deps, state, config, records);
  let decision = await otherProcedure.plan(context);
  try {
    const answer = await kbQuestionProcedure.plan(context);
    if (answer.kind === 'reply') decision = answer;
  } catch (error) {
    if (!(error instanceof ReadFailed)) throw error;
  }
  const text = decision.kind === 'reply' ? decision.text : '';
  const citations = decision.kind === 'reply' ? (decision.citations ?? []) : [];
  const entry = await say(deps, state, config, text, citations);
  emit(config, { type: 'resolution', outcome: 'answered' });
  return {
    calls: records,
    transcript: [entry],
    awaiting: null,
    outcome: strongerOutcome(state.outcome, 'answered'),
    status: 'open',
  };
}
