import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';
import { strongerOutcome } from '../state.ts';
import { emit, say } from './toolkit.ts';

/** The customer's answer to "shall I go ahead?": yes runs the writes, no drops them, anything else asks once more. */
export async function confirm(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const { cues } = state.understanding!;
  if (cues.affirmative && !cues.negative) return { awaiting: null, next: 'execute' };
  const asked = state.awaiting?.kind === 'confirmation' ? state.awaiting.asked : 1;
  if (cues.negative || asked >= 2) {
    const entry = await say(
      deps,
      state,
      config,
      "Okay, I haven't changed anything. Is there anything else I can help with?",
    );
    emit(config, { type: 'resolution', outcome: 'answered' });
    return {
      transcript: [entry],
      awaiting: null,
      pendingActions: null,
      outcome: strongerOutcome(state.outcome, 'answered'),
      status: 'open',
      next: 'finish',
    };
  }
  const actions = state.pendingActions ?? [];
  const prompt = `Sorry, I need a clear yes or no: shall I ${actions.map((action) => action.label).join(' and ')}?`;
  const entry = await say(deps, state, config, prompt);
  emit(config, {
    type: 'confirmation-request',
    prompt,
    actions: actions.map(({ connector, operation, input }) => ({ connector, operation, input })),
  });
  return {
    transcript: [entry],
    awaiting: { kind: 'confirmation', asked: asked + 1 },
    status: 'waiting_customer',
    next: 'finish',
  };
}
