import type { AgentEvent, ConversationStatus, CustomerSession, Verification } from './events.ts';
import type { TurnInput } from './turn-input.ts';

/**
 * A human's decision on a pending action: one that waits for approval, or a write that failed and
 * was handed over (approving it retries it). The human's internal reason never comes here: it stays
 * in the decision's record (conversations/escalations.ts), so nothing the agent says can carry it.
 */
export interface ApprovalDecision {
  approved: boolean;
  /** The human agent's id. */
  decidedBy: string;
  /** Sent to the customer as written, after the outcome; withheld when the action could not be done. */
  customerMessage?: string;
  /** The idempotency key of the action the human decided on: a decision on another action is void. */
  actionKey?: string;
}

/**
 * Where the conversation stands, as its owner (conversations/) read it once at the start of the
 * turn. The agent never reads or writes the conversation's row itself: it reports where its turn
 * leaves the conversation in `turn-end`, and the owner stores that.
 */
export interface ConversationSnapshot {
  status: ConversationStatus;
  /** How, where and when the conversation's contact was verified (a token, or a one-time code). */
  verification: Verification | null;
}

/** What the owner of the conversation hands the agent with a turn. */
export interface TurnContext {
  /**
   * The id of the stored message this turn answers: a replayed turn (a worker crashed mid-turn)
   * stores each reply once, reply n under the key `<turnId>:reply:<n>`.
   */
  turnId?: string;
  conversation: ConversationSnapshot;
}

/** A customer's turn: the input, the customer's words as stored (codes masked) and the codes' hashes. */
export interface CustomerTurn extends TurnContext {
  message: string;
  codeHashes: string[];
}

/**
 * The agent: one graph run per turn, its memory checkpointed per conversation. It is driven by the
 * conversation's owner (conversations/), which stores the customer's message first, takes the
 * conversation's lock, reads the row once and writes the status the turn ends with. Every method
 * streams the turn's events; the last one is `turn-end`.
 */
export interface SupportAgent {
  /**
   * A customer's turn: a message, or a button press (confirm/decline, the verification steps) that is
   * routed on its kind, never classified. A code in the input is masked (its hash in `codeHashes`).
   */
  handleMessage(
    conversationId: string,
    input: TurnInput,
    session: CustomerSession,
    turn: CustomerTurn,
  ): AsyncIterable<AgentEvent>;
  /**
   * A human approved or denied the pending action of a conversation: resumes the graph paused for
   * approval, or carries out (retries) or drops the pending write of a `connector_failure` escalation.
   */
  decideApproval(
    conversationId: string,
    decision: ApprovalDecision,
    turn: TurnContext,
  ): AsyncIterable<AgentEvent>;
  /**
   * A human hands the conversation back: a write paused for approval is denied, and the agent forgets
   * what it was waiting for. The escalation and the status are the owner's to change.
   */
  handBack(conversationId: string, humanId: string): Promise<void>;
}
