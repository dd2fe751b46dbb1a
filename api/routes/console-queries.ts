import type pg from 'pg';
import type { z } from 'zod';
import { billing, crm, ticketing } from '../../connectors/contracts.ts';
import type { CallerSession } from '../../connectors/core/definition.ts';
import type { ConnectorGateway } from '../../connectors/core/gateway.ts';
import type { CallResult } from '../../connectors/core/result.ts';
import { liveMessageOf } from '../../conversations/live-events.ts';
import type { Queryable } from '../../db/database.ts';
import {
  type ConsoleMessage,
  type CustomerPanel,
  customerPanelSchema,
  type EscalationDetail,
  type PanelSectionStatus,
  type QueueItem,
  type QueueQuery,
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
  decided_at: Date | null;
  internal_note: string | null;
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
         e.created_at, e.claimed_at, e.resolved_at, e.sla_due_at, e.sla_breached_at, e.decided_at, e.internal_note,
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
    // A pending action carried out on a decision (decided_at) waits for nothing any more.
    // A closed escalation waits for nothing either.
    pendingAction:
      (row.status === 'open' || row.status === 'claimed') &&
      (row.conversation_status === 'waiting_approval' ||
        (Boolean(row.packet.pendingAction) && row.decided_at === null)),
    decidedAt: iso(row.decided_at),
    internalNote: row.internal_note,
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

/** The queue's orders (`?sort=`): by urgency (priority, then the longest waiting), or by age. */
const queueOrders: Record<QueueQuery['sort'], string> = {
  urgency: `${priorityRank}, e.created_at ASC, e.id`,
  oldest: 'e.created_at ASC, e.id',
  newest: 'e.created_at DESC, e.id DESC',
};

/** The queue: filtered, in the order asked for (most urgent first by default). */
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
      ORDER BY ${queueOrders[query.sort]}
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
  reader: PanelReader,
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
    rating: number | null;
    comment: string | null;
    rated_channel: 'chat' | 'email' | null;
    rated_at: Date | null;
  }>(
    `SELECT c.id, c.channel, c.status, c.outcome, c.verified, c.subject, c.created_at,
            r.rating, r.comment, r.channel AS rated_channel, r.created_at AS rated_at
       FROM conversations c LEFT JOIN csat_ratings r ON r.conversation_id = c.id WHERE c.id = $1`,
    [row.conversation_id],
  );
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
      csat:
        conv.rating === null
          ? null
          : {
              rating: conv.rating,
              comment: conv.comment,
              channel: conv.rated_channel!,
              createdAt: iso(conv.rated_at)!,
            },
    },
    packet: row.packet as EscalationDetail['packet'],
    transcript: await loadTranscript(pool, row.conversation_id),
    customer: await loadCustomerPanel(pool, reader, {
      conversationId: row.conversation_id,
      contactId: row.contact_id,
      accountId: row.account_id,
      tier: row.tier,
    }),
  };
}

/** Who reads the customer panel, and through what: the connector gateway the agent's calls go through. */
export interface PanelReader {
  gateway: ConnectorGateway;
  /** The signed-in human the reads are audited under (`actor: 'human'`, `detail.actor_id`). */
  humanId: string;
}

/** The conversation the panel is for, as its row stores it (never from the request). */
export interface PanelSubject {
  conversationId: string;
  contactId: string | null;
  accountId: string | null;
  tier: string | null;
}

const panelSections = customerPanelSchema.shape;

/** How long the panel waits for one section before it shows it as unavailable. */
const panelDeadlineMs = 8_000;

/**
 * The pipeline session of a console read: a human (the signed-in staff member) acting for the
 * conversation's own contact and account, as the conversation row stores them. The reader is staff,
 * not the customer, so the session counts as verified for reads — the panel showed the
 * conversation's contact before it read through connectors too, and the console shows the
 * conversation's own verification beside it. The panel only reads.
 */
export function staffSession(
  reader: PanelReader,
  subject: PanelSubject & { contactId: string; accountId: string },
): CallerSession {
  return {
    conversationId: subject.conversationId,
    actor: 'human',
    actorId: reader.humanId,
    customer: {
      contactId: subject.contactId,
      accountId: subject.accountId,
      verified: true,
      ...(subject.tier ? { tier: subject.tier } : {}),
    },
  };
}

interface Section<T> {
  value: T;
  status: PanelSectionStatus;
}

/**
 * Reads one section through the gateway. A failure (the vendor down, the policy refusing, an answer
 * the panel cannot show) leaves the section `empty` and says `unavailable` — never our own tables in
 * its place, which a vendor backend does not keep up to date. `not_found` is an answer: nothing to show.
 */
export async function readSection<Output, Value>(
  connector: string,
  call: () => Promise<CallResult<Output>>,
  /** Our shape of the answer; checked by `schema`, since the policy may have hidden any field. */
  map: (data: Shown<Output>) => unknown,
  schema: z.ZodType<Value>,
  empty: Value,
): Promise<Section<Value>> {
  let result: CallResult<Output> | 'late';
  let timer: NodeJS.Timeout | undefined;
  try {
    // A vendor that hangs is retried by the pipeline for up to its timeouts × attempts: the panel
    // does not wait that long (the call goes on, and is audited, without it).
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), panelDeadlineMs);
    });
    result = await Promise.race([call(), late]);
  } catch (error) {
    // The gateway answers failures as results; a throw is a bug, which must not fail the whole detail.
    return unavailable(connector, empty, `unexpected failure: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (result === 'late') return unavailable(connector, empty, `no answer within ${panelDeadlineMs / 1000} s`);
  if (result.status === 'error') {
    if (result.error.kind === 'not_found')
      return { value: empty, status: { state: 'ok', connector, message: result.error.message } };
    return unavailable(connector, empty, `${result.error.kind}: ${result.error.message}`);
  }
  if (result.status !== 'ok') return unavailable(connector, empty, `the policy answered ${result.status}`);
  const shown = schema.safeParse(map(result.data as Shown<Output>));
  if (!shown.success) {
    const fields = [...new Set(shown.error.issues.map((issue) => issue.path.join('.') || '(value)'))];
    return unavailable(
      connector,
      empty,
      `the answer lacks what the panel shows (${fields.slice(0, 4).join(', ')}); check the connector's field allow-list`,
    );
  }
  return {
    value: shown.data,
    status: result.stale
      ? { state: 'stale', connector, ageSeconds: Math.max(0, Math.round(result.ageSeconds)) }
      : { state: 'ok', connector },
  };
}

function unavailable<Value>(connector: string, empty: Value, message: string): Section<Value> {
  return { value: empty, status: { state: 'unavailable', connector, message } };
}

// Outputs after the policy's field allow-list: a field it hides is absent, so every read is optional.
type Shown<T> = { [K in keyof T]?: T[K] };

/**
 * The customer panel: the contact, their account, its current subscription, last invoices and
 * tickets — each read through its connector (whichever backend the kind runs on: built-in, Stripe,
 * HubSpot, Zendesk) by the gateway, so the policy's field allow-lists, the audit (a human actor), the
 * resilience and the stale-read fallback apply — and the account's billing events (Stripe webhooks,
 * our `billing_events` table). A section whose connector fails says so in `sections` and the rest
 * still shows. Every read is for the conversation's own contact and account.
 */
export async function loadCustomerPanel(
  pool: pg.Pool,
  reader: PanelReader,
  subject: PanelSubject,
): Promise<CustomerPanel> {
  const empty: CustomerPanel = {
    contact: null,
    account: null,
    subscription: null,
    invoices: [],
    tickets: [],
    billingEvents: [],
  };
  const { contactId, accountId } = subject;
  // A connector call acts for a contact: without one (an anonymous visitor) there is nobody to read for.
  if (!accountId || !contactId) return empty;
  const session = staffSession(reader, { ...subject, contactId, accountId });
  const { gateway } = reader;
  const [contact, account, subscription, invoices, tickets, billingEvents] = await Promise.all([
    readSection(
      'crm',
      () => gateway.call(session, crm.getContact, { contact_id: contactId }),
      (data) =>
        // A contact since moved to another account is not this conversation's account's contact.
        data.account_id !== undefined && data.account_id !== accountId
          ? null
          : {
              id: data.id,
              name: data.name,
              email: data.email,
              phone: data.phone ?? null,
              title: data.title ?? null,
              timezone: data.timezone,
            },
      panelSections.contact,
      null,
    ),
    readSection(
      'crm',
      () => gateway.call(session, crm.getAccount, { account_id: accountId }),
      (data) => ({
        id: data.id,
        name: data.name,
        tier: data.tier,
        region: data.region,
        ownerName: data.owner_name ?? null,
        // The CRM policy keeps the owner's email from every gateway caller unless an admin allows it.
        ownerEmail: data.owner_email ?? null,
      }),
      panelSections.account,
      null,
    ),
    readSection(
      'billing',
      () => gateway.call(session, billing.getSubscription, { account_id: accountId }),
      (data) => ({
        id: data.id,
        planId: data.plan?.id,
        planName: data.plan?.name,
        status: data.status,
        periodStart: data.period_start ?? null,
        periodEnd: data.period_end,
        cancelAtPeriodEnd: data.cancel_at_period_end,
      }),
      panelSections.subscription,
      null,
    ),
    readSection(
      'billing',
      () => gateway.call(session, billing.listInvoices, { account_id: accountId, limit: 6 }),
      (data) =>
        (data.invoices ?? []).map((invoice) => ({
          id: invoice.id,
          amountCents: invoice.amount_cents,
          currency: invoice.currency,
          status: invoice.status,
          issuedAt: invoice.issued_at,
          dueAt: invoice.due_at ?? null,
          description: invoice.description ?? null,
        })),
      panelSections.invoices,
      [],
    ),
    readSection(
      'ticketing',
      () => gateway.call(session, ticketing.listTickets, { account_id: accountId, limit: 10 }),
      (data) =>
        (data.tickets ?? []).map((ticket) => ({
          id: ticket.id,
          subject: ticket.subject,
          status: ticket.status,
          priority: ticket.priority,
          category: ticket.category,
          createdAt: ticket.created_at,
          updatedAt: ticket.updated_at,
        })),
      panelSections.tickets,
      [],
    ),
    pool.query<{ occurredAt: Date; amountCents: string | null }>(
      `SELECT event_id AS "eventId", type, object_type AS "objectType", object_id AS "objectId", status,
              amount_cents::text AS "amountCents", currency, occurred_at AS "occurredAt", superseded
         FROM billing_events WHERE account_id = $1 ORDER BY occurred_at DESC, recorded_at DESC LIMIT 8`,
      [accountId],
    ),
  ]);
  return {
    contact: contact.value,
    account: account.value,
    subscription: subscription.value,
    invoices: invoices.value,
    tickets: tickets.value,
    billingEvents: billingEvents.rows.map((event) => ({
      ...(event as unknown as CustomerPanel['billingEvents'][number]),
      amountCents: event.amountCents === null ? null : Number(event.amountCents),
      occurredAt: iso(event.occurredAt)!,
    })),
    sections: {
      contact: contact.status,
      account: account.status,
      subscription: subscription.status,
      invoices: invoices.status,
      tickets: tickets.status,
    },
  };
}
