import type { AgentEvent } from '../agent/events.ts';
import type { SelectableKind } from '../connectors/backends/kinds.ts';
import type { FaultSpec } from '../connectors/core/faults.ts';

/** A stored conversation message, as the customer widget and the console show it. */
export interface LiveMessage {
  id: string;
  role: 'customer' | 'agent' | 'human' | 'system';
  text: string;
  metadata: Record<string, unknown>;
  createdAt: string;
}

/**
 * What workers and API routes announce, for live updates (server-sent events). Published on a
 * conversation's channel (`conversation:<id>`) or the console's channel (`console`).
 */
export type LiveEvent =
  /** One event of the agent turn answering the stored message `turnId`. */
  | { kind: 'turn'; conversationId: string; turnId: string; event: AgentEvent }
  /** A message was stored (an agent reply, a human's reply, a system note). */
  | { kind: 'message'; conversationId: string; message: LiveMessage }
  /** A conversation's status changed. */
  | { kind: 'status'; conversationId: string; status: string }
  /** An escalation was opened, claimed, resolved, handed back, or its SLA breached. */
  | {
      kind: 'escalation';
      conversationId: string;
      escalationId: string;
      change: 'opened' | 'claimed' | 'resolved' | 'handed_back' | 'sla_breached' | 'updated';
    }
  /**
   * An admin armed or cleared a fault (control channel): every process applies it to its own
   * injector, so an outage rehearsal reaches the workers' connector calls too. `origin` is the
   * runtime (`ApiContext.instanceId`) that already applied it.
   */
  | { kind: 'faults'; action: 'arm' | 'clear'; fault?: FaultSpec; origin: string }
  /** An admin chose another backend for a connector kind: every process rebuilds that kind. */
  | { kind: 'backends'; connectorKind: SelectableKind; origin: string }
  /** An admin saved, switched or deleted a custom connector: every process reloads them. */
  | { kind: 'custom_connectors'; connectorId: string; origin: string }
  /** An admin saved, switched or deleted a declarative procedure: every process reloads them. */
  | { kind: 'procedures'; procedureId: string; origin: string };

/** A stored message as the console and the widget show it. */
export function liveMessageOf(row: {
  id: string | number;
  role: LiveMessage['role'];
  body: string;
  metadata: Record<string, unknown> | null;
  created_at: Date | string;
}): LiveMessage {
  return {
    id: String(row.id),
    role: row.role,
    text: row.body,
    metadata: row.metadata ?? {},
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export const conversationChannel = (conversationId: string): string => `conversation:${conversationId}`;
export const consoleChannel = 'console';
/** Process-to-process commands (never forwarded to browsers). */
export const controlChannel = 'control';

/** Fan-out of live events: in process (embedded) or Redis pub/sub (several API servers and workers). */
export interface EventBus {
  publish(channel: string, event: LiveEvent): Promise<void>;
  /** Calls `listener` for each event on `channel` until the returned function is called. */
  subscribe(channel: string, listener: (event: LiveEvent) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
