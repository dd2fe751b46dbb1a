import type { AgentEvent, CustomerSession } from './events.ts';

/** A human's decision on a pending action. */
export interface ApprovalDecision {
  approved: boolean;
  /** The human agent's id. */
  decidedBy: string;
  note?: string;
}

/**
 * A turn driven by a stored message (the API stores it before acknowledging; a worker runs the turn).
 * A replayed turn (a worker crashed mid-turn) stores each reply once: reply n of turn `turnId` is
 * stored under the key `<turnId>:reply:<n>`.
 */
export interface TurnOptions {
  /** The id of the stored message this turn answers. */
  turnId: string;
  /** The message is already stored: do not store it again. */
  stored: boolean;
}

/**
 * The agent's public face: the one entry point the API, the eval runner and the terminal chat use.
 * Every method streams the turn's events; the last one is `turn-end`.
 */
export interface SupportAgent {
  /** A customer message in a conversation (created on first use). */
  handleMessage(
    conversationId: string,
    message: string,
    session: CustomerSession,
    turn?: TurnOptions,
  ): AsyncIterable<AgentEvent>;
  /** A human approved or denied the pending action of a conversation: resumes the paused graph. */
  decideApproval(
    conversationId: string,
    decision: ApprovalDecision,
    turn?: TurnOptions,
  ): AsyncIterable<AgentEvent>;
  /** A human hands a conversation back to the agent. */
  handBack(conversationId: string, humanId: string): Promise<void>;
}
