import type { EscalationPacket } from './dependencies.ts';
import type { EscalationReason } from './escalation-reasons.ts';
import type { CallRecord, SupportStateValue, TranscriptEntry } from './state.ts';

const suggestedReplies: Record<EscalationReason, string> = {
  // The reply box's starting text: it must not claim what only an action does (a retry of the pending
  // write tells the customer itself, with the success reply and the confirmation email).
  connector_failure:
    "Thanks for your patience — one of our systems didn't respond earlier. I'm looking at your request now and will confirm here once it's done.",
  low_confidence: "Hi, I'm taking over from our assistant. Let me look into this for you: ",
  policy_requires_human: "Hi, I'm picking up your request personally, as it needs a person on our side. ",
  approval_required: "I'm reviewing your request now and will confirm here as soon as it's decided.",
  customer_requested: "Hi, I'm here — how can I help?",
  security_sensitive: 'Hi, I can help you get back into your account. First I need to verify your identity: ',
  negative_sentiment: "I'm really sorry about the trouble. I'm looking at your account now: ",
  loop_detected: "Hi, I'm taking over so we can sort this out quickly. ",
  injection_suspected:
    "Hi, I'm reviewing your request. I can only act on your own account — how can I help today?",
};

/** Everything a human needs to take over (SPEC.md "Escalation"). */
export function buildEscalationPacket(
  state: SupportStateValue,
  reason: EscalationReason,
  summary: string,
  calls: CallRecord[],
  transcriptTail: TranscriptEntry[],
  pendingAction: EscalationPacket['pendingAction'] = null,
): EscalationPacket {
  const customer = state.customer;
  return {
    reason,
    identity: {
      contactId: customer?.contactId ?? state.session.contactId,
      accountId: customer?.accountId ?? null,
      name: customer?.name ?? null,
      email: customer?.email ?? null,
      verified: customer?.verified ?? false,
      tier: customer?.tier ?? null,
    },
    intent: state.intent,
    confidence: Math.round(state.confidence * 100) / 100,
    slots: Object.fromEntries(
      Object.entries(state.slots).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    ),
    calls: [...state.calls, ...calls].map((call) => ({ ...call })),
    pendingAction,
    summary,
    suggestedReply: suggestedReplies[reason],
    transcript: [...state.transcript, ...transcriptTail].map((entry) => ({
      role: entry.role,
      text: entry.text,
      at: entry.at,
    })),
  };
}
