import type { AgentDependencies } from '../dependencies.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';

/** Reads the customer's message: intents with confidence, slots, cues — in the light of what was asked. */
export async function understand(
  state: SupportStateValue,
  deps: AgentDependencies,
): Promise<SupportStateUpdate> {
  const expecting =
    state.awaiting?.kind === 'slot'
      ? { slot: state.awaiting.slot }
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
  return {
    understanding,
    transcript: [{ role: 'customer', text: state.message, at: deps.now().toISOString() }],
  };
}
