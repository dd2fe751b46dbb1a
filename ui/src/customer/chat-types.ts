import type { UIMessage } from 'ai';
import type { ChatDataParts } from '../../../api/contract/customer.ts';

export type {
  ChatCustomer,
  ChatDataParts,
  ConversationView,
  CsatView,
  CustomerMessage,
} from '../../../api/contract/customer.ts';

/**
 * A button press that goes to its own endpoint instead of `/messages` (each streams the turn) as a
 * structured input: the agent never reads it as text. The transcript shows it in the customer's words.
 */
export type ChatAction =
  | { kind: 'confirmation'; decision: 'confirm' | 'decline'; actionId: string }
  | { kind: 'verification-email'; email: string }
  | { kind: 'verification-code'; code: string };

/** What we keep about a message beside its parts. */
export interface ChatMetadata {
  /**
   * The stored messages this chat message stands for, once known (for de-duplicating live and
   * refetched messages). One streamed reply can cover several stored agent messages.
   */
  serverIds?: string[];
  /** Who wrote it: a human agent's replies show with their name, or as "Support team". */
  author?: 'customer' | 'agent' | 'human' | 'system';
  /** The person who wrote a human reply, when the server names them. */
  authorName?: string;
  createdAt?: string;
  action?: ChatAction;
}

export type ChatMessage = UIMessage<ChatMetadata, ChatDataParts>;
