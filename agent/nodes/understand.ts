import type { AgentDependencies } from '../dependencies.ts';
import { isDeclaredSlot } from '../events.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';

/**
 * Reads the customer's message: intents with confidence, slots, cues — in the light of what was asked.
 * A button press (confirm, decline, verify) is not read at all: it is recorded in the customer's
 * words and the graph routes on its kind (agent/graph.ts `routeInput`).
 */
export async function understand(
  state: SupportStateValue,
  deps: AgentDependencies,
): Promise<SupportStateUpdate> {
  const entry = { role: 'customer' as const, text: state.message, at: deps.now().toISOString() };
  if (state.input && state.input.kind !== 'message') return { understanding: null, transcript: [entry] };
  const expecting =
    state.awaiting?.kind === 'slot'
      ? // A declarative procedure's own slot is read by that procedure (agent/nodes/plan.ts).
        isDeclaredSlot(state.awaiting.slot)
        ? undefined
        : { slot: state.awaiting.slot }
      : state.awaiting?.kind === 'confirmation'
        ? { confirmation: true }
        : state.awaiting?.kind === 'verification_email'
          ? { slot: 'email' as const }
          : undefined;
  const understanding = await deps.reasoner.understand(state.message, {
    now: deps.now(),
    timezone: state.customer?.timezone ?? 'UTC',
    ...(expecting ? { expecting } : {}),
  });
  return { understanding, transcript: [entry] };
}
