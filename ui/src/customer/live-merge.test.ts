import { describe, expect, it } from 'vitest';
import type { ChatMessage, CustomerMessage } from './chat-types.ts';
import {
  mergeStoredMessages,
  messageText,
  readConversation,
  readStoredMessage,
  toChatMessage,
  unconfirmed,
} from './live-merge.ts';

const stored = (id: string, role: CustomerMessage['role'], text: string): CustomerMessage => ({
  id,
  role,
  text,
  citations: [],
  createdAt: '2026-12-04T10:00:00.000Z',
});

/** A message sent or streamed in this page: no stored id yet. */
const shown = (id: string, role: 'user' | 'assistant', ...texts: string[]): ChatMessage => ({
  id,
  role,
  parts: texts.map((text) => ({ type: 'text' as const, text })),
});

describe('mergeStoredMessages', () => {
  it('tags a sent message with its stored id instead of showing it twice', () => {
    const current = [shown('local-1', 'user', 'I was charged twice')];
    const merged = mergeStoredMessages(current, [stored('11', 'customer', 'I was charged twice')]);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.metadata?.serverIds).toEqual(['11']);
    expect(unconfirmed(merged[0])).toBe(false);
  });

  it('ignores a stored message it has already merged (a replay after a reconnect)', () => {
    const once = mergeStoredMessages([], [stored('12', 'human', 'Hi, Sam from billing here.')]);
    const twice = mergeStoredMessages(once, [stored('12', 'human', 'Hi, Sam from billing here.')]);
    expect(twice).toBe(once);
    expect(twice).toHaveLength(1);
    expect(twice[0]!.metadata?.author).toBe('human');
  });

  it('matches each stored agent message to one text part of a streamed reply', () => {
    const current = [shown('local-2', 'assistant', 'Let me check.', 'I found a duplicate charge.')];
    const merged = mergeStoredMessages(current, [
      stored('13', 'agent', 'Let me check.'),
      stored('14', 'agent', 'I found a duplicate charge.'),
    ]);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.metadata?.serverIds).toEqual(['13', '14']);
    // A third stored message with the same text is a new message, not the same one again.
    const again = mergeStoredMessages(merged, [stored('15', 'agent', 'Let me check.')]);
    expect(again).toHaveLength(2);
    expect(again[1]!.id).toBe('stored-15');
  });

  it('never matches a person’s reply to the assistant’s message with the same text', () => {
    const current = [shown('local-3', 'assistant', 'Thanks!')];
    const merged = mergeStoredMessages(current, [stored('16', 'human', 'Thanks!')]);
    expect(merged).toHaveLength(2);
    expect(merged[0]!.metadata?.serverIds).toBeUndefined();
    expect(merged[1]!.metadata?.author).toBe('human');
  });

  it('returns the same array when nothing changed', () => {
    const current = [shown('local-4', 'user', 'Hello')];
    expect(mergeStoredMessages(current, [])).toBe(current);
  });

  it('does not change the array it was given', () => {
    const current = [shown('local-5', 'user', 'Hello')];
    mergeStoredMessages(current, [stored('18', 'customer', 'Hello'), stored('19', 'agent', 'Hi!')]);
    expect(current).toHaveLength(1);
    expect(current[0]!.metadata).toBeUndefined();
  });
});

describe('toChatMessage', () => {
  it('keeps the stored id, the author and the citations with a link as sources', () => {
    const message = toChatMessage({
      ...stored('20', 'agent', 'See our refund policy.'),
      citations: [
        { slug: 'refund-policy', title: 'Refund policy', url: '/help/refund-policy' },
        { slug: 'internal', title: 'Internal note', url: null },
      ],
    });
    expect(message).toMatchObject({ id: 'stored-20', role: 'assistant', metadata: { serverIds: ['20'] } });
    expect(message.parts.filter((part) => part.type === 'source-url')).toEqual([
      { type: 'source-url', sourceId: 'refund-policy', url: '/help/refund-policy', title: 'Refund policy' },
    ]);
    expect(messageText(message)).toBe('See our refund policy.');
  });
});

describe('readStoredMessage and readConversation', () => {
  it('reads the events stream shape (body, metadata.citations) and rejects unknown roles', () => {
    expect(
      readStoredMessage({ id: 7, role: 'agent', body: 'Hi', metadata: { citations: [] } }),
    ).toMatchObject({ id: '7', role: 'agent', text: 'Hi' });
    expect(readStoredMessage({ id: 8, role: 'robot', text: 'Hi' })).toBeNull();
    // A team's system note is never a customer's message, even if one came.
    expect(readStoredMessage({ id: 9, role: 'system', text: 'Escalated' })).toBeNull();
    expect(readStoredMessage(null)).toBeNull();
  });

  it('defaults what is missing and drops unreadable messages', () => {
    const state = readConversation({ messages: [{ id: 1, role: 'customer', text: 'Hi' }, { id: 2 }] });
    expect(state).toMatchObject({ status: 'open', outcome: null, verified: false, pending: null });
    expect(state.messages.map((message) => message.id)).toEqual(['1']);
  });
});
