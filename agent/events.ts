import type { EscalationReason } from './escalation-reasons.ts';

/** A passage the reply is grounded on, so the customer can follow the source. */
export interface Citation {
  slug: string;
  title: string;
  url: string | null;
}

/** The slots a procedure can ask the customer for (a scenario's `knows` keys, docs/evals.md). */
export type SlotName =
  | 'invoice_id'
  | 'payment_id'
  | 'ticket_id'
  | 'booking_id'
  | 'plan'
  | 'preferred_time'
  | 'email'
  | 'phone'
  | 'name'
  | 'title'
  | 'description'
  | 'amount_cents';

/**
 * A slot a declarative procedure declares, kept in the graph state as `custom.<slot name>` so it can
 * never be mistaken for a built-in one; `SlotKey` is what the state and the slot question carry.
 */
export type DeclaredSlotName = `custom.${string}`;

export type SlotKey = SlotName | DeclaredSlotName;

export const isDeclaredSlot = (slot: SlotKey): slot is DeclaredSlotName => slot.startsWith('custom.');

/** How a conversation ended (docs/product.md, "Rules for every procedure"). */
export type Outcome = 'resolved' | 'answered' | 'escalated';

/**
 * What one turn of the agent emits, in order. The API turns these into an AI SDK UI message stream,
 * the eval runner's simulated customer reads them, the terminal chat prints them.
 */
export type AgentEvent =
  | { type: 'text-delta'; text: string }
  /** One complete agent message (the concatenation of its text deltas), with its sources. */
  | { type: 'message'; text: string; citations: Citation[] }
  | { type: 'tool-call-start'; callId: string; connector: string; operation: string }
  | {
      type: 'tool-call-end';
      callId: string;
      connector: string;
      operation: string;
      status: 'ok' | 'stale' | 'approval_required' | 'human_required' | 'error';
      latencyMs: number;
      errorKind?: string;
    }
  /** The agent asked the customer for a slot and waits for the next message. */
  | { type: 'slot-request'; slot: SlotKey; prompt: string }
  /**
   * The agent asks "shall I go ahead?" before a write; the answer is the next turn: a `confirm` or
   * `decline` input carrying `actionId` (agent/turn-input.ts), or a message.
   */
  | {
      type: 'confirmation-request';
      prompt: string;
      /** The id of this confirmation (a hash of its actions): a button press names it. */
      actionId: string;
      actions: Array<{ connector: string; operation: string; input: Record<string, unknown> }>;
    }
  /** A one-time code was emailed to the contact; the next message should carry it. */
  | { type: 'verification-request'; email: string }
  | {
      type: 'escalation';
      escalationId: string;
      reason: EscalationReason;
      priority: 'low' | 'normal' | 'high' | 'urgent';
    }
  | { type: 'resolution'; outcome: Exclude<Outcome, 'escalated'> }
  /**
   * Last event of every turn: where the turn leaves the conversation (and the outcome it reached, and
   * the intent it classified — the analytics page counts conversations by it), which the
   * conversation's owner stores.
   */
  | { type: 'turn-end'; status: ConversationStatus; outcome?: Outcome | null; intent?: string | null };

/** How, where and when a conversation's contact was verified (an identity token, or a one-time code). */
export interface Verification {
  contactId: string;
  by: 'token' | 'email_code';
  channel: 'chat' | 'email';
  at: Date;
}

/** Where a conversation stands after a turn. */
export type ConversationStatus =
  | 'open'
  | 'waiting_customer'
  | 'waiting_approval'
  | 'escalated'
  | 'claimed'
  | 'resolved'
  | 'closed';

/**
 * Who is chatting, as the API verified it (a signed identity token, or an email code), never as the
 * customer or the model claims. `contactId` is null for an anonymous visitor.
 */
export interface CustomerSession {
  contactId: string | null;
  verified: boolean;
  channel: 'chat' | 'email';
  /** Where the session's identity came from. */
  verifiedBy?: 'token' | 'email_code';
  /**
   * Email only: this message came from `contactId`'s address and passed aligned DMARC. It proves the
   * mailbox for reads, never for writes; an email message never carries a token's verification.
   */
  mailboxProven?: boolean;
}
