import { Annotation } from '@langchain/langgraph';
import type { EscalationReason } from './escalation-reasons.ts';
import type {
  Citation,
  ConversationStatus,
  CustomerSession,
  Outcome,
  SlotKey,
  Verification,
} from './events.ts';
import type { IntentId } from './intents.ts';
import type { CustomerProfile, Plan, WriteAction } from './procedures/procedure.ts';
import type { Understanding } from './reasoner/reasoner.ts';
import type { TurnInput } from './turn-input.ts';

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
  | { kind: 'slot'; slot: SlotKey; asked: number }
  | { kind: 'confirmation'; asked: number }
  /**
   * A code was sent (or, to an address no contact has, seemed to be: `contactId` empty). `attempts`
   * counts the codes typed against such an unknown address, which has no code row to count them.
   */
  | { kind: 'verification_code'; contactId: string; email: string; attempts?: number }
  /** A code was sent to a new address the customer wants on file; its answer proves that mailbox. */
  | { kind: 'new_address_code'; email: string }
  | { kind: 'verification_email' };

/** A write that stopped at an action limit: the exact call a human approves. */
export interface PendingApproval {
  action: WriteAction;
  idempotencyKey: string;
  /** What the action does, whoever asks (`PendingAction.actionKey`): conversations asking for the same one share its approval. */
  actionKey?: string;
  reason: string;
  /** Writes of the same procedure already done before the one that needs approval. */
  done: Array<{ action: WriteAction; output: Record<string, unknown> }>;
}

const last = <T>(initial: T) => Annotation<T>({ reducer: (_previous, next) => next, default: () => initial });
const append = <T>() =>
  Annotation<T[]>({ reducer: (previous, next) => previous.concat(next), default: () => [] });

/** The agent's memory of one conversation (thread = conversation id), checkpointed when a turn ends or pauses. */
export const SupportState = Annotation.Root({
  conversationId: last<string>(''),
  session: last<CustomerSession>({ contactId: null, verified: false, channel: 'chat' }),
  /** The conversation's verification as its owner read it at the start of this turn (conversations/). */
  verification: last<Verification | null>(null),
  customer: last<CustomerProfile | null>(null),
  /** What the customer did this turn (a button press or a message; a code only masked). Routes the turn. */
  input: last<TurnInput | null>(null),
  /** The customer's message of this turn in their own words (one-time codes in it masked). */
  message: last<string>(''),
  /** Hashes of the one-time codes the message carried (the codes themselves are never kept). */
  codeHashes: last<string[]>([]),
  /** New email addresses the customer proved to control in this conversation (a code sent there came back). */
  provenAddresses: last<string[]>([]),
  transcript: append<TranscriptEntry>(),
  calls: append<CallRecord>(),
  understanding: last<Understanding | null>(null),
  intent: last<IntentId | null>(null),
  confidence: last<number>(0),
  slots: last<Partial<Record<SlotKey, string>>>({}),
  queuedIntents: last<IntentId[]>([]),
  awaiting: last<Awaiting | null>(null),
  pendingActions: last<WriteAction[] | null>(null),
  pendingApproval: last<PendingApproval | null>(null),
  decision: last<Plan | null>(null),
  /** Where the router sends this turn next. */
  next: last<string>(''),
  outcome: last<Outcome | null>(null),
  /**
   * Where this turn leaves the conversation, reported in `turn-end`. The conversation's status itself
   * lives in its row, which only conversations/ writes; the agent never reads this back across turns.
   */
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
