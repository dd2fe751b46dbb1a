import type { ChatMessage, ConversationView, CustomerMessage } from './chat-types.ts';

type Loose = Record<string, unknown>;

/** Reads a stored message (GET conversation, `/events` `message` events) tolerantly. */
export function readStoredMessage(value: unknown): CustomerMessage | null {
  if (!value || typeof value !== 'object') return null;
  const record = value as Loose;
  const role = record.role;
  // System notes are the team's: the server never sends them, and one that came anyway is not shown.
  if (role !== 'customer' && role !== 'agent' && role !== 'human') return null;
  const citations = record.citations ?? (record.metadata as Loose | undefined)?.citations;
  return {
    id: String(record.id),
    role,
    text: String(record.text ?? record.body ?? ''),
    citations: Array.isArray(citations) ? (citations as CustomerMessage['citations']) : [],
    createdAt: typeof record.createdAt === 'string' ? record.createdAt : '',
    ...(role === 'human' && typeof record.authorName === 'string' && record.authorName.trim()
      ? { authorName: record.authorName.trim() }
      : {}),
  };
}

/** Reads `GET /api/conversations/:id`. */
export function readConversation(data: unknown): ConversationView {
  const record = (data ?? {}) as Loose;
  const messages = Array.isArray(record.messages) ? record.messages : [];
  return {
    id: String(record.id ?? ''),
    status: String(record.status ?? 'open'),
    outcome: typeof record.outcome === 'string' ? record.outcome : null,
    verified: record.verified === true,
    messages: messages
      .map(readStoredMessage)
      .filter((message): message is CustomerMessage => message !== null),
    pending: (record.pending ?? null) as ConversationView['pending'],
    humanInvolved: record.humanInvolved === true,
    csat: readCsat(record.csat),
    support: readSupport(record.support),
  };
}

/** The team's reply time and hours, when the server has them; anything malformed is left out. */
function readSupport(data: unknown): NonNullable<ConversationView['support']> {
  const record = (data ?? {}) as Loose;
  const minutes = record.replyWithinMinutes;
  return {
    ...(typeof minutes === 'number' && Number.isInteger(minutes) && minutes > 0
      ? { replyWithinMinutes: minutes }
      : {}),
    ...(typeof record.hours === 'string' && record.hours.trim() ? { hours: record.hours.trim() } : {}),
  };
}

/** The conversation's rating state; anything unexpected reads as "not offered". */
function readCsat(data: unknown): ConversationView['csat'] {
  const record = (data ?? {}) as Loose;
  if (record.state === 'open') return { state: 'open' };
  if (record.state === 'rated' && typeof record.rating === 'number')
    return {
      state: 'rated',
      rating: record.rating,
      comment: typeof record.comment === 'string' ? record.comment : null,
    };
  return { state: 'not_yet' };
}

/** A stored message as a chat message, its citations as `source-url` parts. */
export function toChatMessage(stored: CustomerMessage): ChatMessage {
  const sources = stored.citations.flatMap((citation) =>
    citation.url
      ? [{ type: 'source-url' as const, sourceId: citation.slug, url: citation.url, title: citation.title }]
      : [],
  );
  return {
    id: `stored-${stored.id}`,
    role: stored.role === 'customer' ? 'user' : 'assistant',
    metadata: {
      serverIds: [stored.id],
      author: stored.role,
      createdAt: stored.createdAt,
      ...(stored.authorName ? { authorName: stored.authorName } : {}),
    },
    parts: [{ type: 'text', text: stored.text }, ...sources],
  };
}

/** The concatenated text of a message's text parts. */
export function messageText(message: ChatMessage): string {
  return textParts(message).join('\n').trim();
}

const textParts = (message: ChatMessage) =>
  message.parts.flatMap((part) => (part.type === 'text' && part.text.trim() ? [part.text.trim()] : []));

const authorOf = (message: ChatMessage) =>
  message.metadata?.author ?? (message.role === 'user' ? 'customer' : 'agent');

/**
 * Whether a message shown in this page (sent, or streamed) is the stored message: same author, same
 * text (a streamed reply may hold several stored agent messages, one per text part), not yet
 * matched with as many stored messages as it has text parts.
 */
function isSameMessage(existing: ChatMessage, stored: CustomerMessage): boolean {
  if (authorOf(existing) !== stored.role) return false;
  const parts = textParts(existing);
  const claimed = existing.metadata?.serverIds?.length ?? 0;
  if (claimed >= Math.max(1, parts.length)) return false;
  const text = stored.text.trim();
  return messageText(existing) === text || parts.includes(text);
}

/**
 * Merges stored messages (from a refetch or the live stream) into the chat without duplicates: one
 * already shown — by its stored id, or as the same text sent or streamed in this page — is only
 * tagged with its stored id; the rest are appended. Returns the same array when nothing changed.
 */
export function mergeStoredMessages(current: ChatMessage[], stored: CustomerMessage[]): ChatMessage[] {
  let next = current;
  for (const message of stored) {
    if (next.some((existing) => existing.metadata?.serverIds?.includes(message.id))) continue;
    if (next === current) next = [...current];
    const matchIndex = next.findIndex((existing) => isSameMessage(existing, message));
    if (matchIndex >= 0) {
      const existing = next[matchIndex]!;
      next[matchIndex] = {
        ...existing,
        metadata: { ...existing.metadata, serverIds: [...(existing.metadata?.serverIds ?? []), message.id] },
      };
    } else {
      next.push(toChatMessage(message));
    }
  }
  return next;
}

/** Whether a message still has no stored counterpart (sent or streamed here, not yet confirmed). */
export const unconfirmed = (message: ChatMessage | undefined): boolean =>
  Boolean(message) && (message?.metadata?.serverIds?.length ?? 0) === 0;
