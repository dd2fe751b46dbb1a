import type { AgentDependencies } from '../dependencies.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';

/**
 * Who is this? The verified session (identity token) or a code verified earlier in this conversation
 * names the contact; the CRM profile comes from the directory. Never from the message or the model.
 */
export async function identify(
  state: SupportStateValue,
  deps: AgentDependencies,
): Promise<SupportStateUpdate> {
  const conversation = await deps.store.ensureConversation(state.conversationId, state.session, null);
  const verifiedContact = state.session.verified ? state.session.contactId : conversation.verifiedContactId;
  const contactId = verifiedContact ?? state.session.contactId;
  if (!contactId) return { customer: null };
  const profile = await deps.customers.profile(contactId);
  if (!profile) return { customer: null };
  return { customer: { ...profile, verified: verifiedContact === contactId } };
}
