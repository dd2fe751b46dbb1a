import { type AgentEvent, isDeclaredSlot } from '../agent/events.ts';
import type { TurnInput } from '../agent/turn-input.ts';
import type { Queryable } from '../db/database.ts';
import { readVerificationCode } from './mailbox.ts';
import type { Scenario } from './scenario-schema.ts';
import type { AgentTurn, TokenUsage, TranscriptEntry } from './transcript.ts';

/**
 * The customer side of a scenario. The runner sends `opening()`, then after every agent turn asks
 * `reply(turn)` for the next turn — or `followUp(turn)` when the agent resolved the request
 * (a customer with more to say starts the next request). A turn is what the chat would send: a
 * typed message, or a button press (Confirm/Decline, the verification code form) as a structured
 * input (agent/turn-input.ts). Null means nothing more to say. Stopping on escalation and at
 * `max_turns` is the runner's job.
 */
export interface SimulatedCustomer {
  opening(): Promise<string>;
  reply(turn: AgentTurn, transcript: readonly TranscriptEntry[]): Promise<TurnInput | null>;
  followUp(turn: AgentTurn, transcript: readonly TranscriptEntry[]): Promise<TurnInput | null>;
  /** Tokens the customer itself used (LLM mode); zero for the scripted customer. */
  usage(): TokenUsage;
}

/** What the customer needs besides the scenario: its mailbox (the database's email outbox). */
export interface CustomerDependencies {
  scenario: Scenario;
  mailbox: Queryable;
}

/** The canned answers of the scripted customer (also used by the LLM customer where no model is needed). */
export const cannedAnswers = {
  unknown: "I don't know.",
  noCode: "I didn't receive any code.",
} as const;

/** The thing the agent asked for at the end of its turn (the last request wins), if anything. */
export type AgentRequest = Extract<
  AgentEvent,
  { type: 'slot-request' } | { type: 'confirmation-request' } | { type: 'verification-request' }
>;

export function lastRequestOf(turn: AgentTurn): AgentRequest | null {
  for (let index = turn.events.length - 1; index >= 0; index -= 1) {
    const event = turn.events[index]!;
    if (
      event.type === 'slot-request' ||
      event.type === 'confirmation-request' ||
      event.type === 'verification-request'
    )
      return event;
  }
  return null;
}

/** The customer's own email address (its mailbox), from the world. */
export function customerEmail(scenario: Scenario): string {
  const contact = scenario.world.contacts.find((candidate) => candidate.id === scenario.customer.contact);
  if (!contact) throw new Error(`customer.contact "${scenario.customer.contact}" is not in the world`);
  return contact.email;
}

/** A slot value as a person would type it (`amount_cents: 9900` → "$99.00"). */
export function formatSlotValue(slot: string, value: string | number): string {
  if (slot === 'amount_cents' && typeof value === 'number') return `$${(value / 100).toFixed(2)}`;
  return String(value);
}

/** A typed message. */
export const typed = (text: string): TurnInput => ({ kind: 'message', text });

/**
 * Answers a verification request by submitting the newest code in the customer's own mailbox in
 * the code form; without one, says so.
 */
export async function answerVerification(dependencies: CustomerDependencies): Promise<TurnInput> {
  const code = await readVerificationCode(dependencies.mailbox, customerEmail(dependencies.scenario));
  if (code === null) return typed(cannedAnswers.noCode);
  // The form takes 6 digits; anything else the mail calls a code is typed as it is.
  return /^\d{6}$/.test(code) ? { kind: 'verify_code', code } : typed(code);
}

/** Presses Confirm or Decline on the confirmation the agent asked for. */
export const answerConfirmation = (
  request: Extract<AgentRequest, { type: 'confirmation-request' }>,
  confirms: boolean,
): TurnInput => ({ kind: confirms ? 'confirm' : 'decline', actionId: request.actionId });

/**
 * The scripted customer of docs/evals.md: `says` in order (the first opens; each further one is sent
 * when the agent ends a turn without asking anything, or resolved the previous request), slots
 * answered from `knows` ("I don't know" otherwise), confirmations by pressing Confirm or Decline
 * (`confirms`), verification codes from its own mailbox submitted in the code form.
 */
export function createScriptedCustomer(dependencies: CustomerDependencies): SimulatedCustomer {
  const { customer } = dependencies.scenario;
  let nextSay = 0;
  const nextMessage = async (): Promise<TurnInput | null> => {
    const say = customer.says[nextSay];
    if (say === undefined) return null;
    nextSay += 1;
    return typed(say);
  };
  return {
    async opening() {
      nextSay = 1;
      return customer.says[0]!;
    },
    async reply(turn) {
      const request = lastRequestOf(turn);
      if (request?.type === 'slot-request') {
        // A declarative procedure's own slot (`custom.…`) is not one a scenario's `knows` can hold.
        const value = isDeclaredSlot(request.slot) ? undefined : customer.knows[request.slot];
        return typed(value === undefined ? cannedAnswers.unknown : formatSlotValue(request.slot, value));
      }
      if (request?.type === 'confirmation-request') return answerConfirmation(request, customer.confirms);
      if (request?.type === 'verification-request') return answerVerification(dependencies);
      return nextMessage();
    },
    followUp: nextMessage,
    usage: () => ({ inputTokens: 0, outputTokens: 0 }),
  };
}
