import type { AgentEvent } from '../agent/events.ts';
import type { Queryable } from '../db/database.ts';
import { readVerificationCode } from './mailbox.ts';
import type { Scenario } from './scenario-schema.ts';
import type { AgentTurn, TokenUsage, TranscriptEntry } from './transcript.ts';

/**
 * The customer side of a scenario. The runner sends `opening()`, then after every agent turn asks
 * `reply(turn)` for the next message — or `followUp(turn)` when the agent resolved the request
 * (a customer with more to say starts the next request). Null means nothing more to say. Stopping
 * on escalation and at `max_turns` is the runner's job.
 */
export interface SimulatedCustomer {
  opening(): Promise<string>;
  reply(turn: AgentTurn, transcript: readonly TranscriptEntry[]): Promise<string | null>;
  followUp(turn: AgentTurn, transcript: readonly TranscriptEntry[]): Promise<string | null>;
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
  yes: 'Yes, please go ahead.',
  no: "No, please don't do that.",
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

/** Answers a verification request from the newest code in the customer's own mailbox. */
export async function answerVerification(dependencies: CustomerDependencies): Promise<string> {
  const code = await readVerificationCode(dependencies.mailbox, customerEmail(dependencies.scenario));
  return code ?? cannedAnswers.noCode;
}

/**
 * The scripted customer of EVALS.md: `says` in order (the first opens; each further one is sent
 * when the agent ends a turn without asking anything, or resolved the previous request), slots
 * answered from `knows` ("I don't know" otherwise), confirmations from `confirms`, verification
 * codes from its own mailbox.
 */
export function createScriptedCustomer(dependencies: CustomerDependencies): SimulatedCustomer {
  const { customer } = dependencies.scenario;
  let nextSay = 0;
  const nextMessage = async () => {
    const say = customer.says[nextSay];
    if (say === undefined) return null;
    nextSay += 1;
    return say;
  };
  return {
    async opening() {
      nextSay = 1;
      return customer.says[0]!;
    },
    async reply(turn) {
      const request = lastRequestOf(turn);
      if (request?.type === 'slot-request') {
        const value = customer.knows[request.slot];
        return value === undefined ? cannedAnswers.unknown : formatSlotValue(request.slot, value);
      }
      if (request?.type === 'confirmation-request')
        return customer.confirms ? cannedAnswers.yes : cannedAnswers.no;
      if (request?.type === 'verification-request') return answerVerification(dependencies);
      return nextMessage();
    },
    followUp: nextMessage,
    usage: () => ({ inputTokens: 0, outputTokens: 0 }),
  };
}
