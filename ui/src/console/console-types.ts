/** One row of the escalation queue (`GET /api/console/escalations`). */
export interface QueueItem {
  id: string;
  conversationId: string;
  reason: string;
  priority: string;
  status: string;
  createdAt: string;
  claimedBy: string | null;
  customer: string | null;
  slaBreached: boolean;
}

/** The escalation packet (agent/dependencies.ts `EscalationPacket`). */
export interface Packet {
  reason: string;
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

/** `GET /api/console/escalations/:id`. */
export interface EscalationDetail {
  item: QueueItem;
  packet: Packet | null;
  transcript: Array<{ id: string; role: string; text: string; at: string }>;
  /** CRM, subscription, invoices, tickets — as the API returns them. */
  customerPanel: Record<string, unknown> | null;
}

type Loose = Record<string, unknown>;
const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** Reads a queue row tolerantly (camelCase or snake_case, nested or flat customer). */
export function readQueueItem(value: unknown): QueueItem {
  const row = (value ?? {}) as Loose;
  const claimed = row.claimedBy ?? row.claimed_by;
  const customer = row.customer as Loose | string | null | undefined;
  const packet = row.packet as Loose | undefined;
  const identity = packet?.identity as Loose | undefined;
  return {
    id: String(row.id ?? row.escalationId ?? ''),
    conversationId: String(row.conversationId ?? row.conversation_id ?? ''),
    reason: String(row.reason ?? packet?.reason ?? ''),
    priority: String(row.priority ?? 'normal'),
    status: String(row.status ?? 'open'),
    createdAt: String(row.createdAt ?? row.created_at ?? row.openedAt ?? ''),
    claimedBy:
      claimed && typeof claimed === 'object'
        ? text((claimed as Loose).name ?? (claimed as Loose).id)
        : text(row.claimedByName ?? claimed),
    customer:
      typeof customer === 'string'
        ? customer
        : text(customer?.name ?? customer?.email ?? row.customerName ?? identity?.name ?? identity?.email),
    slaBreached: Boolean(row.slaBreached ?? row.slaBreachedAt ?? row.sla_breached_at),
  };
}

/** Reads the escalation detail tolerantly. */
export function readEscalationDetail(value: unknown): EscalationDetail {
  const data = (value ?? {}) as Loose;
  const escalation = (data.escalation ?? data) as Loose;
  const packet = (data.packet ?? escalation.packet ?? null) as Packet | null;
  const rawTranscript = (data.transcript ??
    data.messages ??
    (data.conversation as Loose | undefined)?.messages ??
    packet?.transcript ??
    []) as Loose[];
  return {
    item: readQueueItem({ ...escalation, packet }),
    packet,
    transcript: rawTranscript.map((entry, index) => ({
      id: String(entry.id ?? index),
      role: String(entry.role ?? 'agent'),
      text: String(entry.text ?? entry.body ?? ''),
      at: String(entry.at ?? entry.createdAt ?? ''),
    })),
    customerPanel: (data.customer ?? data.customerPanel ?? null) as Record<string, unknown> | null,
  };
}
