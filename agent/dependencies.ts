import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { CallerSession } from '../connectors/core/definition.ts';
import type { ConnectorGateway } from '../connectors/core/gateway.ts';
import type { EscalationReason } from './escalation-reasons.ts';
import type { ConversationStatus, CustomerSession, Outcome } from './events.ts';
import type { CustomerProfile } from './procedures/procedure.ts';
import type { Reasoner } from './reasoner/reasoner.ts';

/** Looks customers up for identity (the verified session names the contact; this loads the profile). */
export interface CustomerDirectory {
  profile(contactId: string): Promise<CustomerProfile | null>;
  byEmail(email: string): Promise<{ contactId: string; email: string } | null>;
}

/** The escalation packet a human gets (SPEC.md "Escalation"). */
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
}

/** Where conversations, messages, escalations and verification codes are kept. */
export interface ConversationStore {
  ensureConversation(
    conversationId: string,
    session: CustomerSession,
    accountId: string | null,
  ): Promise<{ status: ConversationStatus; verifiedContactId: string | null }>;
  /** Stores a message once (a retried submit with the same clientMessageId is a no-op); returns false when it was already there. */
  appendMessage(
    conversationId: string,
    role: 'customer' | 'agent' | 'human' | 'system',
    body: string,
    metadata?: Record<string, unknown>,
    clientMessageId?: string,
  ): Promise<boolean>;
  setState(conversationId: string, status: ConversationStatus, outcome: Outcome | null): Promise<void>;
  markVerified(conversationId: string, contactId: string, accountId: string): Promise<void>;
  /** Opens the conversation's live escalation, or returns the one already open (handing over never loops). */
  openEscalation(
    conversationId: string,
    reason: EscalationReason,
    priority: 'low' | 'normal' | 'high' | 'urgent',
    packet: EscalationPacket,
  ): Promise<{ id: string; created: boolean }>;
  closeEscalation(conversationId: string, status: 'resolved' | 'handed_back'): Promise<void>;
  createVerificationCode(
    conversationId: string,
    contactId: string,
    codeHash: string,
    expiresAt: Date,
  ): Promise<void>;
  /** Checks a code hash: 'ok' consumes it; wrong codes count attempts. */
  checkVerificationCode(
    conversationId: string,
    codeHash: string,
    now: Date,
    maxAttempts: number,
  ): Promise<{ result: 'ok' | 'wrong' | 'expired' | 'locked'; contactId?: string }>;
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
    }): Promise<{ message_id: string }>;
  };
  /** Confidence below which the agent asks a clarifying question, then escalates `low_confidence` (default 0.3: held-out accuracy falls below 80% there, see bench/agent). */
  clarifyBelow?: number;
  /** Writes (and the email connector) are removed: the kb-only baseline of the eval suite. */
  kbOnly?: boolean;
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
          tier: customer.tier,
        }
      : null,
  };
}
