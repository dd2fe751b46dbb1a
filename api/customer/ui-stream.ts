import type { UIMessageChunk as AnyUiChunk } from 'ai';
import type { AgentEvent } from '../../agent/events.ts';
import type { ChatDataParts } from '../contract/customer.ts';

/** A chunk of the stream, its data parts typed by the customer API contract. */
type UIMessageChunk = AnyUiChunk<unknown, ChatDataParts>;

/**
 * Turns the agent's events into AI SDK UI message stream chunks (so `useChat` renders them): text
 * parts for replies, `source-url` parts for citations, and data parts for everything else. Data parts
 * with an id (tool calls) are updated in place by the client.
 */
export function createUiChunkMapper() {
  let textId: string | null = null;
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}-${++counter}`;

  return function map(event: AgentEvent): UIMessageChunk[] {
    switch (event.type) {
      case 'text-delta': {
        const chunks: UIMessageChunk[] = [];
        if (!textId) {
          textId = nextId('text');
          chunks.push({ type: 'text-start', id: textId });
        }
        chunks.push({ type: 'text-delta', id: textId, delta: event.text });
        return chunks;
      }
      case 'message': {
        const chunks: UIMessageChunk[] = [];
        if (!textId) {
          // A message without deltas (a reasoner that does not stream): send it whole.
          const id = nextId('text');
          chunks.push(
            { type: 'text-start', id },
            { type: 'text-delta', id, delta: event.text },
            { type: 'text-end', id },
          );
        } else {
          chunks.push({ type: 'text-end', id: textId });
          textId = null;
        }
        for (const citation of event.citations) {
          if (!citation.url) continue;
          chunks.push({
            type: 'source-url',
            sourceId: citation.slug,
            url: citation.url,
            title: citation.title,
          });
        }
        return chunks;
      }
      case 'tool-call-start':
        return [
          {
            type: 'data-tool-call',
            id: event.callId,
            data: {
              connector: event.connector,
              operation: event.operation,
              status: 'running',
              latencyMs: null,
            },
          },
        ];
      case 'tool-call-end':
        return [
          {
            type: 'data-tool-call',
            id: event.callId,
            data: {
              connector: event.connector,
              operation: event.operation,
              status: event.status,
              latencyMs: event.latencyMs,
              ...(event.errorKind ? { errorKind: event.errorKind } : {}),
            },
          },
        ];
      case 'slot-request':
        return [{ type: 'data-slot-request', data: { slot: event.slot, prompt: event.prompt } }];
      case 'confirmation-request':
        return [
          {
            type: 'data-confirmation',
            data: { prompt: event.prompt, actionId: event.actionId, actions: event.actions },
          },
        ];
      case 'verification-request':
        return [{ type: 'data-verification', data: { email: event.email } }];
      case 'escalation':
        return [
          {
            type: 'data-escalation',
            data: { escalationId: event.escalationId, reason: event.reason, priority: event.priority },
          },
        ];
      case 'resolution':
        return [{ type: 'data-resolution', data: { outcome: event.outcome } }];
      case 'turn-end': {
        const chunks: UIMessageChunk[] = [];
        if (textId) chunks.push({ type: 'text-end', id: textId });
        textId = null;
        chunks.push({ type: 'data-status', data: { status: event.status } });
        return chunks;
      }
    }
  };
}
