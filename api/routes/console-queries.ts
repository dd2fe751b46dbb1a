import type pg from 'pg';
import { liveMessageOf } from '../../conversations/live-events.ts';
import type { Queryable } from '../../db/database.ts';
import type {
  ConsoleMessage,
  CustomerPanel,
  EscalationDetail,
  QueueItem,
  QueueQuery,
} from '../contract/console.ts';

/** What the console reads: the queue, one escalation with its transcript, and the customer panel. */

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

interface EscalationRow {
  id: string;
  conversation_id: string;
  reason: QueueItem['reason'];
  priority: QueueItem['priority'];
  status: QueueItem['status'];
  packet: Record<string, unknown> & {
    summary?: string;
    pendingAction?: unknown;
    identity?: Partial<Record<'contactId' | 'accountId' | 'name' | 'email' | 'tier', string | null>>;
  };
  claimed_by: string | null;
  claimed_by_name: string | null;
  created_at: Date;
  claimed_at: Date | null;
  resolved_at: Date | null;
  sla_due_at: Date | null;
  sla_breached_at: Date | null;
  conversation_status: string;
  conversation_verified: boolean;
  contact_id: string | null;
  account_id: string | null;
  contact_name: string | null;
  contact_email: string | null;
  account_name: string | null;
  tier: string | null;
  now: Date;
}

// The conversation's own contact and account (set from the verified identity) win over the packet's copy.
const escalationSelect = `
  SELECT e.id, e.conversation_id, e.reason, e.priority, e.status, e.packet, e.claimed_by, h.name AS claimed_by_name,
         e.created_at, e.claimed_at, e.resolved_at, e.sla_due_at, e.sla_breached_at,
         c.status AS conversation_status, c.verified AS conversation_verified,
         ct.id AS contact_id, a.id AS account_id, ct.name AS contact_name, ct.email AS contact_email,
         a.name AS account_name, a.tier, now() AS now
    FROM escalations e
    JOIN conversations c ON c.id = e.conversation_id
    LEFT JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN accounts a ON a.id = COALESCE(c.account_id, ct.account_id)
    LEFT JOIN human_agents h ON h.id = e.claimed_by`;

const priorityRank = `CASE e.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`;

function toQueueItem(row: EscalationRow): QueueItem {
  const identity = row.packet.identity ?? {};
  const end = row.resolved_at ?? row.now;
  return {
    id: row.id,
    conversationId: row.conversation_id,
    reason: row.reason,
    priority: row.priority,
    status: row.status,
    conversationStatus: row.conversation_status,
    createdAt: iso(row.created_at)!,
    waitingSeconds: Math.max(
      0,
      Math.floor((new Date(end).getTime() - new Date(row.created_at).getTime()) / 1000),
    ),
    slaDueAt: iso(row.sla_due_at),
    slaBreached: row.sla_breached_at !== null,
    summary: typeof row.packet.summary === 'string' ? row.packet.summary : '',
    pendingAction: row.conversation_status === 'waiting_approval' || Boolean(row.packet.pendingAction),
    customer: {
      contactId: row.contact_id ?? identity.contactId ?? null,
      accountId: row.account_id ?? identity.accountId ?? null,
      name: row.contact_name ?? identity.name ?? null,
      email: row.contact_email ?? identity.email ?? null,
      accountName: row.account_name,
      tier: row.tier ?? identity.tier ?? null,
      verified: row.conversation_verified,
    },
    claimedBy: row.claimed_by ? { id: row.claimed_by, name: row.claimed_by_name ?? row.claimed_by } : null,
    claimedAt: iso(row.claimed_at),
    resolvedAt: iso(row.resolved_at),
  };
}

/** The queue: filtered, most urgent first (priority, then the longest waiting). */
export async function listEscalations(
  pool: pg.Pool,
  query: QueueQuery,
  humanId: string,
): Promise<QueueItem[]> {
  const { rows } = await pool.query<EscalationRow>(
    `${escalationSelect}
      WHERE e.status = ANY($1::text[])
        AND ($2::text[] IS NULL OR e.reason = ANY($2::text[]))
        AND ($3::text[] IS NULL OR e.priority = ANY($3::text[]))
        AND ($4::text IS NULL OR e.claimed_by = $4)
      ORDER BY ${priorityRank}, e.created_at ASC, e.id
      LIMIT $5`,
    [query.status, query.reason ?? null, query.priority ?? null, query.mine ? humanId : null, query.limit],
  );
  return rows.map(toQueueItem);
}

/** One escalation as a queue item, or null. */
export async function findEscalation(db: Queryable, escalationId: string): Promise<QueueItem | null> {
  const { rows } = await db.query<EscalationRow>(`${escalationSelect} WHERE e.id = $1`, [escalationId]);
  return rows[0] ? toQueueItem(rows[0]) : null;
}

/** A conversation's stored messages, oldest first (the last `limit`). */
export async function loadTranscript(
  pool: pg.Pool,
  conversationId: string,
  limit = 500,
): Promise<ConsoleMessage[]> {
  const { rows } = await pool.query<{
    id: string;
    role: ConsoleMessage['role'];
    body: string;
    metadata: Record<string, unknown>;
    created_at: Date;
  }>(
    `SELECT * FROM (
       SELECT id::text AS id, role, body, metadata, created_at FROM messages
        WHERE conversation_id = $1 ORDER BY messages.id DESC LIMIT $2) last ORDER BY id::bigint ASC`,
    [conversationId, limit],
  );
  return rows.map(liveMessageOf);
}

/** The escalation, its packet, the transcript and the customer panel; null when there is no such escalation. */
export async function loadEscalationDetail(
  pool: pg.Pool,
  escalationId: string,
): Promise<EscalationDetail | null> {
  const { rows } = await pool.query<EscalationRow>(`${escalationSelect} WHERE e.id = $1`, [escalationId]);
  const row = rows[0];
  if (!row) return null;
  const conversation = await pool.query<{
    id: string;
    channel: 'chat' | 'email';
    status: string;
    outcome: string | null;
    verified: boolean;
    subject: string | null;
    created_at: Date;
  }>('SELECT id, channel, status, outcome, verified, subject, created_at FROM conversations WHERE id = $1', [
    row.conversation_id,
  ]);
  const conv = conversation.rows[0]!;
  return {
    escalation: toQueueItem(row),
    conversation: {
      id: conv.id,
      channel: conv.channel,
      status: conv.status,
      outcome: conv.outcome,
      verified: conv.verified,
      subject: conv.subject,
      createdAt: iso(conv.created_at)!,
    },
    packet: row.packet as EscalationDetail['packet'],
    transcript: await loadTranscript(pool, row.conversation_id),
    customer: await loadCustomerPanel(pool, row.contact_id, row.account_id),
  };
}

/**
 * The customer panel: the contact, their account, its current subscription, last invoices,
 * tickets and billing events (Stripe webhooks). Every query is scoped to the conversation's own account.
 */
export async function loadCustomerPanel(
  pool: pg.Pool,
  contactId: string | null,
  accountId: string | null,
): Promise<CustomerPanel> {
  const empty: CustomerPanel = {
    contact: null,
    account: null,
    subscription: null,
    invoices: [],
    tickets: [],
    billingEvents: [],
  };
  if (!accountId) return empty;
  const [contact, account, subscription, invoices, tickets, billingEvents] = await Promise.all([
    contactId
      ? pool.query(
          `SELECT id, name, email, phone, title, timezone FROM contacts WHERE id = $1 AND account_id = $2`,
          [contactId, accountId],
        )
      : Promise.resolve({ rows: [] }),
    pool.query(
      `SELECT id, name, tier, region, owner_name AS "ownerName", owner_email AS "ownerEmail" FROM accounts WHERE id = $1`,
      [accountId],
    ),
    pool.query(
      `SELECT s.id, s.plan_id AS "planId", p.name AS "planName", s.status, s.period_start::text AS "periodStart",
              s.period_end::text AS "periodEnd", s.cancel_at_period_end AS "cancelAtPeriodEnd"
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id
        WHERE s.account_id = $1
        ORDER BY (s.status = 'cancelled'), s.created_at DESC LIMIT 1`,
      [accountId],
    ),
    pool.query(
      `SELECT id, amount_cents AS "amountCents", currency, status, issued_at::text AS "issuedAt",
              due_at::text AS "dueAt", description
         FROM invoices WHERE account_id = $1 ORDER BY issued_at DESC, id DESC LIMIT 6`,
      [accountId],
    ),
    pool.query<{ createdAt: Date; updatedAt: Date }>(
      `SELECT id, subject, status, priority, category, created_at AS "createdAt", updated_at AS "updatedAt"
         FROM tickets WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 10`,
      [accountId],
    ),
    pool.query<{ occurredAt: Date; amountCents: string | null }>(
      `SELECT event_id AS "eventId", type, object_type AS "objectType", object_id AS "objectId", status,
              amount_cents::text AS "amountCents", currency, occurred_at AS "occurredAt", superseded
         FROM billing_events WHERE account_id = $1 ORDER BY occurred_at DESC, recorded_at DESC LIMIT 8`,
      [accountId],
    ),
  ]);
  return {
    contact: (contact.rows[0] as CustomerPanel['contact']) ?? null,
    account: (account.rows[0] as CustomerPanel['account']) ?? null,
    subscription: (subscription.rows[0] as CustomerPanel['subscription']) ?? null,
    invoices: invoices.rows as CustomerPanel['invoices'],
    tickets: tickets.rows.map((ticket) => ({
      ...(ticket as unknown as CustomerPanel['tickets'][number]),
      createdAt: iso(ticket.createdAt)!,
      updatedAt: iso(ticket.updatedAt)!,
    })),
    billingEvents: billingEvents.rows.map((event) => ({
      ...(event as unknown as CustomerPanel['billingEvents'][number]),
      amountCents: event.amountCents === null ? null : Number(event.amountCents),
      occurredAt: iso(event.occurredAt)!,
    })),
  };
}
