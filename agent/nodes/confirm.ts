import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import { procedureFor } from '../procedures/registry.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';
import { strongerOutcome } from '../state.ts';
import { pendingActionId } from '../turn-input.ts';
import { emit, say } from './toolkit.ts';

/**
 * The customer's answer to "shall I go ahead?": yes runs the writes, no drops them, anything else asks
 * once more. A Confirm/Decline button press is the answer itself (never classified text), and only
 * for the confirmation it names: a stale or unknown `actionId` runs nothing and the current request
 * (if any) is asked again.
 */
export async function confirm(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const input = state.input;
  const pressed = input?.kind === 'confirm' || input?.kind === 'decline' ? input : null;
  if (pressed) {
    const pending =
      state.awaiting?.kind === 'confirmation' && state.pendingActions && state.pendingActions.length > 0
        ? pendingActionId(state.pendingActions)
        : null;
    if (pressed.actionId !== pending) return staleAnswer(state, deps, config, pending !== null);
  }
  const cues = pressed ? null : state.understanding!.cues;
  const yes = pressed ? pressed.kind === 'confirm' : cues!.affirmative && !cues!.negative;
  if (yes) {
    // The yes must come from a verified customer too (an email's yes may be forged): otherwise the
    // code first, and the plan asks again.
    const accountAction = state.intent && procedureFor(deps, state.intent).verification === 'required';
    if (accountAction && !state.customer?.verified)
      return { awaiting: null, pendingActions: null, next: 'verify' };
    return { awaiting: null, next: 'execute' };
  }
  const asked = state.awaiting?.kind === 'confirmation' ? state.awaiting.asked : 1;
  if (pressed?.kind === 'decline' || cues?.negative || asked >= 2) {
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
  return askAgain(state, deps, config, 'Sorry, I need a clear yes or no', asked + 1);
}

/** Asks the pending confirmation again (with its id), prefixed by why. */
async function askAgain(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  why: string,
  asked: number,
): Promise<SupportStateUpdate> {
  const actions = state.pendingActions ?? [];
  const prompt = `${why}: shall I ${actions.map((action) => action.label).join(' and ')}?`;
  const entry = await say(deps, state, config, prompt);
  emit(config, {
    type: 'confirmation-request',
    prompt,
    actionId: pendingActionId(actions),
    actions: actions.map(({ connector, operation, input }) => ({ connector, operation, input })),
  });
  return {
    transcript: [entry],
    awaiting: { kind: 'confirmation', asked },
    status: 'waiting_customer',
    next: 'finish',
  };
}

/**
 * A Confirm/Decline for a confirmation that is no longer the pending one (the request changed, or
 * nothing waits for an answer): nothing is done. The current request, if any, is asked again.
 */
async function staleAnswer(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  stillPending: boolean,
): Promise<SupportStateUpdate> {
  if (stillPending && state.awaiting?.kind === 'confirmation')
    return askAgain(
      state,
      deps,
      config,
      "The request changed since you answered, so I haven't done anything yet. To be sure",
      state.awaiting.asked,
    );
  const entry = await say(
    deps,
    state,
    config,
    "That request is no longer waiting for an answer, so I haven't changed anything. Is there anything else I can help with?",
  );
  return { transcript: [entry], next: 'finish' };
}
