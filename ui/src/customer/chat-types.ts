import type { UIMessage } from 'ai';

/** The data parts of the conversation stream (docs/api.md "The UI message stream"). */
export type ChatDataParts = {
  'tool-call': {
    connector: string;
    operation: string;
    status: string;
    latencyMs: number | null;
    errorKind?: string;
  };
  confirmation: {
    prompt: string;
    actions: Array<{ connector: string; operation: string; input?: Record<string, unknown> }>;
  };
  verification: { email: string };
  'slot-request': { slot: string; prompt: string };
  escalation: { escalationId?: string; reason: string; priority: string };
  resolution: { outcome: string };
  status: { status: string };
};

/** A customer message that goes to its own endpoint instead of `/messages` (each streams the turn). */
export type ChatAction =
  | { kind: 'confirmation'; decision: 'confirm' | 'decline' }
  | { kind: 'verification-email'; email: string }
  | { kind: 'verification-code'; code: string };

/** What we keep about a message beside its parts. */
export interface ChatMetadata {
  /**
   * The stored messages this chat message stands for, once known (for de-duplicating live and
   * refetched messages). One streamed reply can cover several stored agent messages.
   */
  serverIds?: string[];
  /** Who wrote it: a human agent's replies show as "Support team". */
  author?: 'customer' | 'agent' | 'human' | 'system';
  createdAt?: string;
  action?: ChatAction;
}

export type ChatMessage = UIMessage<ChatMetadata, ChatDataParts>;

/** A stored message as `GET /api/conversations/:id` and the `/events` stream return it. */
export interface StoredMessage {
  id: string;
  role: 'customer' | 'agent' | 'human' | 'system';
  text: string;
  citations: Array<{ slug: string; title: string; url: string | null }>;
  createdAt?: string;
}

/** The customer the host page signed in (`POST /api/conversations`), if any. */
export interface ChatCustomer {
  name: string;
  email: string;
}

/** `GET /api/conversations/:id`. */
export interface ConversationState {
  status: string;
  outcome: string | null;
  verified: boolean;
  messages: StoredMessage[];
  /** What the agent waits for: `confirmation`, `slot`, `verification_code`, `verification_email`. */
  pending: { kind: string; actions: Array<{ connector: string; operation: string }> } | null;
  /** A person has taken part or the conversation was escalated. */
  humanInvolved: boolean;
}
