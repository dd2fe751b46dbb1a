import { Annotation } from '@langchain/langgraph';
import type { EscalationReason } from './escalation-reasons.ts';
import type { Citation, ConversationStatus, CustomerSession, Outcome, SlotName } from './events.ts';
import type { Intent } from './intents.ts';
import type { CustomerProfile, Plan, WriteAction } from './procedures/procedure.ts';
import type { Understanding } from './reasoner/reasoner.ts';

/** One line of the transcript kept in the graph state (and shown in the escalation packet). */
export interface TranscriptEntry {
  role: 'customer' | 'agent' | 'human' | 'system';
  text: string;
  at: string;
  citations?: Citation[];
}

/** One connector call made for this conversation, for the escalation packet. */
export interface CallRecord {
  connector: string;
  operation: string;
  effect: 'read' | 'write';
  status: 'ok' | 'stale' | 'approval_required' | 'human_required' | 'error';
  latencyMs: number;
  errorKind?: string;
  message?: string;
  at: string;
}

/** What the agent waits for from the customer's next message. */
export type Awaiting =
  | { kind: 'slot'; slot: SlotName; asked: number }
  | { kind: 'confirmation'; asked: number }
  | { kind: 'verification_code'; contactId: string; email: string }
  | { kind: 'verification_email' };

/** A write that stopped at an action limit: the exact call a human approves. */
export interface PendingApproval {
  action: WriteAction;
  idempotencyKey: string;
  reason: string;
  /** Writes of the same procedure already done before the one that needs approval. */
  done: Array<{ action: WriteAction; output: Record<string, unknown> }>;
}

const last = <T>(initial: T) => Annotation<T>({ reducer: (_previous, next) => next, default: () => initial });
const append = <T>() =>
  Annotation<T[]>({ reducer: (previous, next) => previous.concat(next), default: () => [] });

/** The graph state of one conversation (thread = conversation id), checkpointed after every node. */
export const SupportState = Annotation.Root({
  conversationId: last<string>(''),
  session: last<CustomerSession>({ contactId: null, verified: false, channel: 'chat' }),
  customer: last<CustomerProfile | null>(null),
  /** The customer's message of this turn. */
  message: last<string>(''),
  transcript: append<TranscriptEntry>(),
  calls: append<CallRecord>(),
  understanding: last<Understanding | null>(null),
  intent: last<Intent | null>(null),
  confidence: last<number>(0),
  slots: last<Partial<Record<SlotName, string>>>({}),
  queuedIntents: last<Intent[]>([]),
  awaiting: last<Awaiting | null>(null),
  pendingActions: last<WriteAction[] | null>(null),
  pendingApproval: last<PendingApproval | null>(null),
  decision: last<Plan | null>(null),
  /** Where the router sends this turn next. */
  next: last<string>(''),
  outcome: last<Outcome | null>(null),
  status: last<ConversationStatus>('open'),
  escalation: last<{ id: string; reason: EscalationReason } | null>(null),
  /** Messages in a row the agent could not place (clarifications asked). */
  clarifications: last<number>(0),
});

export type SupportStateValue = typeof SupportState.State;
export type SupportStateUpdate = typeof SupportState.Update;

/** Outcome precedence: a conversation that was escalated stays escalated; resolved beats answered. */
export function strongerOutcome(current: Outcome | null, next: Outcome): Outcome {
  const rank: Record<Outcome, number> = { answered: 1, resolved: 2, escalated: 3 };
  return current && rank[current] >= rank[next] ? current : next;
}
