import type { AgentDependencies } from '../dependencies.ts';
import type { CustomerSession, Verification } from '../events.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';

/**
 * How long a one-time code entered by email keeps a conversation's later emails verified. An email
 * can be forged by anyone who saw one of ours; a code proves the mailbox only around the time it came
 * back, so writes asked for much later need a new one.
 */
export const emailCodeTrustMinutes = 30;

/**
 * Whether this message may act on a verification the conversation earned earlier. A verification is
 * only ever inherited in the channel it was earned in: an email never acts on an identity token or a
 * code typed in the chat. By email, only a code that came back by email counts, for a limited time,
 * and only for the contact the conversation belongs to.
 */
function inherits(verification: Verification, session: CustomerSession, now: Date): boolean {
  if (verification.channel !== session.channel) return false;
  if (session.channel === 'chat') return true;
  return (
    verification.by === 'email_code' &&
    (session.contactId === null || session.contactId === verification.contactId) &&
    now.getTime() - verification.at.getTime() < emailCodeTrustMinutes * 60_000
  );
}

/**
 * Who is this? The verified session (identity token), or a code verified earlier in this conversation
 * in the same channel, names the contact; an email that passed aligned DMARC names its sender for
 * reads only. The CRM profile comes from the directory. Never from the message or the model.
 */
export async function identify(
  state: SupportStateValue,
  deps: AgentDependencies,
): Promise<SupportStateUpdate> {
  const session = state.session;
  const earlier = state.verification;
  const inherited = earlier && inherits(earlier, session, deps.now()) ? earlier : null;
  const verified =
    session.verified && session.contactId
      ? {
          contactId: session.contactId,
          // A code entered since the token still counts: it proved the address on file.
          by:
            inherited?.contactId === session.contactId
              ? inherited.by
              : (session.verifiedBy ?? ('token' as const)),
        }
      : inherited;
  const contactId = verified?.contactId ?? session.contactId;
  if (!contactId) return { customer: null };
  const profile = await deps.customers.profile(contactId);
  if (!profile) return { customer: null };
  const mailboxProven =
    session.channel === 'email' && session.mailboxProven === true && session.contactId === contactId;
  return {
    customer: {
      ...profile,
      verified: verified?.contactId === contactId,
      ...(verified?.contactId === contactId ? { verifiedBy: verified.by } : {}),
      ...(mailboxProven ? { mailboxProven: true } : {}),
    },
  };
}
