import type { AgentEvent, CustomerSession } from './events.ts';

/** A human's decision on a pending action. */
export interface ApprovalDecision {
  approved: boolean;
  /** The human agent's id. */
  decidedBy: string;
  note?: string;
}

/**
 * The agent's public face: the one entry point the API, the eval runner and the terminal chat use.
 * Every method streams the turn's events; the last one is `turn-end`.
 */
export interface SupportAgent {
  /** A customer message in a conversation (created on first use). */
  handleMessage(conversationId: string, message: string, session: CustomerSession): AsyncIterable<AgentEvent>;
  /** A human approved or denied the pending action of a conversation: resumes the paused graph. */
  decideApproval(conversationId: string, decision: ApprovalDecision): AsyncIterable<AgentEvent>;
  /** A human hands a conversation back to the agent. */
  handBack(conversationId: string, humanId: string): Promise<void>;
}
