import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { CallerSession } from '../connectors/core/definition.ts';
import type { ConnectorGateway } from '../connectors/core/gateway.ts';
import type { EscalationReason } from './escalation-reasons.ts';
import type { CustomerProfile } from './procedures/procedure.ts';
import type { ProcedureRegistry } from './procedures/registry.ts';
import type { Reasoner } from './reasoner/reasoner.ts';

/** Looks customers up for identity (the verified session names the contact; this loads the profile). */
export interface CustomerDirectory {
  profile(contactId: string): Promise<CustomerProfile | null>;
  byEmail(email: string): Promise<{ contactId: string; email: string } | null>;
}

/** The escalation packet a human gets (docs/product.md, "Escalation"). */
export interface EscalationPacket {
  reason: EscalationReason;
  identity: {
    contactId: string | null;
    accountId: string | null;
    name: string | null;
    email: string | null;
    verified: boolean;
    tier: string | null;
  };
  intent: string | null;
  confidence: number;
  slots: Record<string, string>;
  calls: Array<{
    connector: string;
    operation: string;
    status: string;
    latencyMs: number;
    errorKind?: string;
    message?: string;
    at: string;
  }>;
  pendingAction: {
    connector: string;
    operation: string;
    input: Record<string, unknown>;
    idempotencyKey: string;
    reason: string;
  } | null;
  summary: string;
  suggestedReply: string;
  transcript: Array<{ role: string; text: string; at: string }>;
  /** This conversation asked for an action another conversation's approval already holds: decide it there. */
  awaitingApprovalIn?: ApprovalRef;
  /** Other conversations that asked for this approval's action: its decision is carried out in each. */
  alsoAwaitedBy?: ApprovalRef[];
  /**
   * A low-confidence hand-off of a help-center question: the slugs of the articles the search found,
   * best first (the admin's per-article usage counts the first).
   */
  knowledgeCandidates?: string[];
}

/** A conversation and its escalation, as approvals shared between conversations name each other. */
export interface ApprovalRef {
  conversationId: string;
  escalationId: string;
}

/** The approval a conversation's escalation waits on in another conversation, and the key its action runs under there. */
export interface AwaitedApproval extends ApprovalRef {
  idempotencyKey: string;
}

/**
 * What the agent keeps beside its graph memory: its replies, escalation records and one-time codes.
 * The conversation's row (status, outcome) is not here: its owner (conversations/) writes it from the
 * turn's `turn-end`.
 */
export interface ConversationStore {
  /** Stores a message once (a retried submit with the same clientMessageId is a no-op); returns false when it was already there. */
  appendMessage(
    conversationId: string,
    role: 'customer' | 'agent' | 'human' | 'system',
    body: string,
    metadata?: Record<string, unknown>,
    clientMessageId?: string,
  ): Promise<boolean>;
  markVerified(
    conversationId: string,
    contactId: string,
    accountId: string,
    channel: 'chat' | 'email',
    at: Date,
  ): Promise<void>;
  /** Opens the conversation's live escalation, or returns the one already open (handing over never loops). */
  openEscalation(
    conversationId: string,
    reason: EscalationReason,
    priority: 'low' | 'normal' | 'high' | 'urgent',
    packet: EscalationPacket,
  ): Promise<{ id: string; created: boolean }>;
  /**
   * Opens the escalation of an action that needs approval, unique by what the action does
   * (`actionKey`), not by conversation: when another conversation's live approval already holds the
   * action, this conversation's escalation is linked to it (`awaiting`) instead of being a second
   * approval. Returns the conversation's live escalation when it has one already.
   */
  openApproval(
    conversationId: string,
    actionKey: string,
    packet: EscalationPacket,
    priority?: 'low' | 'normal' | 'high' | 'urgent',
  ): Promise<{ id: string; created: boolean; awaiting: AwaitedApproval | null }>;
  /** The approval this conversation's latest approval escalation was linked to, if any. */
  awaitedApproval(conversationId: string): Promise<AwaitedApproval | null>;
  closeEscalation(conversationId: string, status: 'resolved' | 'handed_back'): Promise<void>;
  /**
   * The live escalation's pending action was carried out on a human's decision; the escalation stays
   * with that human until they resolve it (approving and resolving are two steps).
   */
  settleEscalation(conversationId: string): Promise<void>;
  /** Keeps only the code's hash; `new_address` codes prove an address the customer wants on file. */
  createVerificationCode(
    conversationId: string,
    contactId: string,
    code: string,
    expiresAt: Date,
    purpose?: { kind: 'identity' } | { kind: 'new_address'; email: string },
  ): Promise<string>;
  /** Checks the hashes of the codes a message carried: 'ok' consumes the code; a wrong message counts an attempt. */
  checkVerificationCode(
    conversationId: string,
    codeHashes: string[],
    now: Date,
    maxAttempts: number,
    purpose?: 'identity' | 'new_address',
  ): Promise<{ result: 'ok' | 'wrong' | 'expired' | 'locked'; contactId?: string; email?: string }>;
}

/** Everything the graph needs; built by the composition root (api/ or evals/). */
export interface AgentDependencies {
  gateway: ConnectorGateway;
  reasoner: Reasoner;
  customers: CustomerDirectory;
  store: ConversationStore;
  checkpointer: BaseCheckpointSaver;
  now(): Date;
  policy(): Promise<{ auto_refund_limit_cents: number; refund_window_days: number }>;
  /**
   * Switchboard's email outbox: confirmations are queued there (idempotently, to the session's own
   * contact) and delivered by the dispatcher, which retries while the mail system is down.
   */
  outbox: {
    enqueue(message: {
      contactId: string;
      verified: boolean;
      conversationId: string | null;
      template: string;
      variables: unknown;
      idempotencyKey: string;
      /** Only for mail that proves or announces a change of address (the outbox refuses it otherwise). */
      to?: string;
    }): Promise<{ message_id: string }>;
  };
  /** Confidence below which the agent asks a clarifying question, then escalates `low_confidence` (default 0.3: held-out accuracy falls below 80% there, see bench/agent). */
  clarifyBelow?: number;
  /** Writes (and the email connector) are removed: the kb-only baseline of the eval suite. */
  kbOnly?: boolean;
  /** The built-in and the loaded declarative procedures (default: the built-in ones only). */
  procedures?: ProcedureRegistry;
}

/** The pipeline session for the conversation's customer (never from model output). */
export function callerSession(conversationId: string, customer: CustomerProfile | null): CallerSession {
  return {
    conversationId,
    actor: 'agent',
    customer: customer
      ? {
          contactId: customer.contactId,
          accountId: customer.accountId,
          verified: customer.verified,
          ...(customer.mailboxProven ? { mailboxProven: true } : {}),
          tier: customer.tier,
        }
      : null,
  };
}
