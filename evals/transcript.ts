import type { AgentEvent } from '../agent/events.ts';

/** Token counts of one LLM-backed step, when the events carry them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** One line of a scenario's transcript, as kept in results.json and shown in the report. */
export type TranscriptEntry =
  | { kind: 'customer'; text: string }
  | { kind: 'agent'; text: string; citations: string[] }
  | {
      kind: 'tool';
      connector: string;
      operation: string;
      status: string;
      latencyMs: number;
      errorKind?: string;
    }
  | { kind: 'slot-request'; slot: string; prompt: string }
  | { kind: 'confirmation-request'; prompt: string; actions: string[] }
  | { kind: 'verification-request'; email: string }
  | { kind: 'escalation'; reason: string; priority: string }
  | { kind: 'resolution'; outcome: string }
  | { kind: 'human'; approved: boolean }
  | { kind: 'turn-end'; status: string; latencyMs: number }
  | { kind: 'error'; message: string };

/** What one agent turn emitted, in order, and how long it took. */
export interface AgentTurn {
  events: AgentEvent[];
  /** From sending the customer message (or the human decision) to `turn-end`. */
  latencyMs: number;
  /** Set when the turn did not end normally (the agent threw, or it timed out). */
  error?: string;
}

/** Turns an agent event into its transcript line (text deltas are dropped: `message` carries the text). */
export function transcriptEntryOf(event: AgentEvent, turnLatencyMs: number): TranscriptEntry | null {
  switch (event.type) {
    case 'text-delta':
    case 'tool-call-start':
      return null;
    case 'message':
      return { kind: 'agent', text: event.text, citations: event.citations.map((citation) => citation.slug) };
    case 'tool-call-end':
      return {
        kind: 'tool',
        connector: event.connector,
        operation: event.operation,
        status: event.status,
        latencyMs: Math.round(event.latencyMs),
        ...(event.errorKind ? { errorKind: event.errorKind } : {}),
      };
    case 'slot-request':
      return { kind: 'slot-request', slot: event.slot, prompt: event.prompt };
    case 'confirmation-request':
      return {
        kind: 'confirmation-request',
        prompt: event.prompt,
        actions: event.actions.map((action) => `${action.connector}.${action.operation}`),
      };
    case 'verification-request':
      return { kind: 'verification-request', email: event.email };
    case 'escalation':
      return { kind: 'escalation', reason: event.reason, priority: event.priority };
    case 'resolution':
      return { kind: 'resolution', outcome: event.outcome };
    case 'turn-end':
      return { kind: 'turn-end', status: event.status, latencyMs: Math.round(turnLatencyMs) };
  }
}

/** Token usage a `message` event may carry (an LLM reasoner attaches `usage`); null when absent. */
export function usageOf(event: AgentEvent): TokenUsage | null {
  if (event.type !== 'message') return null;
  const usage = (event as { usage?: Partial<TokenUsage> }).usage;
  if (!usage) return null;
  return { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
}
