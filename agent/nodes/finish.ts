import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import { procedureFor } from '../procedures/registry.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';
import { say } from './toolkit.ts';

/**
 * Ends the turn (its owner stores where the conversation stands, from `turn-end`), and when the customer asked for more than one
 * thing, moves on to the next request (one intent at a time, saying so).
 */
export async function finish(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const [nextIntent, ...rest] = state.queuedIntents;
  const idle = state.awaiting === null && state.status !== 'escalated' && state.status !== 'waiting_approval';
  if (nextIntent && idle) {
    const entry = await say(
      deps,
      state,
      config,
      `Now, about your other request — ${procedureFor(deps, nextIntent).title}.`,
    );
    return {
      transcript: [entry],
      intent: nextIntent,
      queuedIntents: rest,
      slots: { ...state.slots },
      next: 'plan',
    };
  }
  return { next: 'end' };
}
