import type { AgentDependencies } from '../dependencies.ts';
import { isDeclaredSlot } from '../events.ts';
import type { Plan } from '../procedures/procedure.ts';
import { procedureFor } from '../procedures/registry.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';
import { namesAnotherParty } from './other-party.ts';

const notHelped =
  /\b(doesn'?t|does not|didn'?t|did not) (answer|help)\b|\bnot what i (asked|meant|need)\b|\bthat'?s not (it|right|what)\b|\byou'?re not (helping|listening)\b/i;
const dontKnow = /^(i )?(don'?t|do not) know|^no idea|^not sure|^dunno|^i (can'?t|cannot) (find|remember)/i;

const escalate = (plan: Extract<Plan, { kind: 'escalate' }>): SupportStateUpdate => ({
  decision: plan,
  next: 'escalate',
});

/**
 * Guardrails, then routing. A message that tries to make the agent act outside policy escalates
 * `injection_suspected` before anything runs; a request for a person or strong frustration hands over;
 * otherwise the message answers what the agent was waiting for, or starts a new request.
 */
export async function guardrails(
  state: SupportStateValue,
  deps: AgentDependencies,
): Promise<SupportStateUpdate> {
  const understanding = state.understanding!;
  const { cues } = understanding;
  const quote = state.message.slice(0, 300);
  if (cues.injection || namesAnotherParty(state.message, state.customer ?? null)) {
    return escalate({
      kind: 'escalate',
      reason: 'injection_suspected',
      priority: 'high',
      text: "I can only act on your own account and within our policies, so I can't do that. I've passed this conversation to a colleague who will follow up.",
      summary: `Message tried to make the agent act outside policy: "${quote}"`,
    });
  }
  const top = understanding.intents[0]!;
  const answeringSomething =
    state.awaiting?.kind === 'slot' ||
    state.awaiting?.kind === 'verification_code' ||
    state.awaiting?.kind === 'new_address_code' ||
    state.awaiting?.kind === 'verification_email';
  if (cues.wantsHuman || (top.intent === 'human.request' && top.confidence >= 0.6 && !answeringSomething)) {
    return escalate({
      kind: 'escalate',
      reason: 'customer_requested',
      priority: 'normal',
      text: "Of course — I've asked a colleague to take over. They'll reply here; our support team is available 24/5.",
      summary: `Customer asked for a person: "${quote}"`,
    });
  }
  if (notHelped.test(state.message) && state.outcome !== null) {
    return escalate({
      kind: 'escalate',
      reason: 'low_confidence',
      priority: 'normal',
      text: "Sorry I couldn't answer that properly. I've asked a colleague to look into it; they'll reply here.",
      summary: `Customer says the answer did not help: "${quote}"`,
    });
  }
  if (cues.frustration >= 2) {
    return escalate({
      kind: 'escalate',
      reason: 'negative_sentiment',
      priority: 'high',
      text: "I'm sorry this has been so frustrating. I've asked a colleague to take over personally; they'll reply here shortly.",
      summary: `Customer is upset: "${quote}"`,
    });
  }
  return route(state, deps);
}

function route(state: SupportStateValue, deps: AgentDependencies): SupportStateUpdate {
  const understanding = state.understanding!;
  const awaiting = state.awaiting;
  if (
    awaiting?.kind === 'verification_code' ||
    awaiting?.kind === 'new_address_code' ||
    awaiting?.kind === 'verification_email'
  )
    return { next: 'verify' };
  if (awaiting?.kind === 'confirmation') return { next: 'confirm' };
  const top = understanding.intents[0]!;
  if (awaiting?.kind === 'slot' && state.intent) {
    // A declarative procedure's own slot is read by that procedure, not by the reasoner.
    const value = isDeclaredSlot(awaiting.slot)
      ? procedureFor(deps, state.intent).slotsFrom?.(state.message, {
          now: deps.now(),
          timezone: state.customer?.timezone ?? 'UTC',
          expecting: awaiting.slot,
        })[awaiting.slot]
      : understanding.slots[awaiting.slot];
    // A new request while a slot question is pending wins over slot filling (issue #19, pattern 7):
    // a confident other action, or a question, that does not answer what was asked; a retraction
    // ("scratch that — …") switches even when the free-text slot would take any words.
    const question =
      /\?\s*$|^(?:\W*\w+\s+\w+\s*[-–—:,]\s*)?(how|what|when|where|which|why|is|are|do|does|can|could)\b/i;
    const newRequest =
      top.intent !== state.intent &&
      ((!['other', 'kb.question'].includes(top.intent) && top.confidence >= 0.6) ||
        (top.intent === 'kb.question' && top.confidence >= 0.6 && question.test(state.message.trim())));
    const switching = newRequest && (!value || understanding.cues.retracts === true);
    if (value && !switching) return { slots: { ...state.slots, ...understanding.slots }, next: 'plan' };
    if (!switching) {
      if (dontKnow.test(state.message.trim()) || awaiting.asked >= 2) {
        return escalate({
          kind: 'escalate',
          reason: awaiting.asked >= 2 ? 'loop_detected' : 'low_confidence',
          priority: 'normal',
          text: "No problem — I've asked a colleague to help with this; they can look it up with you and will reply here.",
          summary: `Could not get the ${awaiting.slot.replace('_', ' ')} needed for ${state.intent} after ${awaiting.asked} question(s).`,
        });
      }
      return {
        slots: { ...state.slots, ...understanding.slots },
        awaiting: { ...awaiting, asked: awaiting.asked + 1 },
        next: 'plan',
      };
    }
  }
  const threshold = deps.clarifyBelow ?? 0.3;
  if (top.confidence < threshold) {
    if (state.clarifications >= 1) {
      return escalate({
        kind: 'escalate',
        reason: 'low_confidence',
        priority: 'normal',
        text: "I'm not sure I understood, and I'd rather not guess. I've asked a colleague to help; they'll reply here.",
        summary: `Could not place the request after a clarifying question (best guess ${top.intent} at ${top.confidence.toFixed(2)}).`,
      });
    }
    return { next: 'clarify', intent: null, clarifications: state.clarifications + 1 };
  }
  return {
    intent: top.intent,
    confidence: top.confidence,
    slots: understanding.slots,
    queuedIntents: understanding.additionalIntents,
    awaiting: null,
    pendingActions: null,
    clarifications: 0,
    next: 'plan',
  };
}
