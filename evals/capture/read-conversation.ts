import type { Queryable } from '../../db/database.ts';
import type { CapturedConversation } from './build-scenario.ts';

/**
 * Reads what a conversation touched, for `buildCapturedScenario`. "Touched" is what its connector
 * calls (the `audit_log` rows of the conversation) read or wrote: a call naming a record
 * (`invoice_id`, `payment_id`, `ticket_id`, `booking_id`, …) touched that record; a call naming none
 * (listing the invoices, the subscription, the tickets) touched every record of that kind the
 * customer has. Every query is bounded by the conversation's own account and contact — ids are
 * taken from the audit rows only to narrow that set — so another customer's record cannot be read
 * here even if a call or a message named one.
 */

/** Record-naming arguments of connector calls, by the table they name. */
const namedIds = {
  invoices: ['invoice_id'],
  payments: ['payment_id'],
  subscriptions: ['subscription_id'],
  tickets: ['ticket_id'],
  bookings: ['booking_id'],
} as const;

interface AuditCall {
  connector_id: string;
  operation: string;
  effect: 'read' | 'write';
  outcome: string;
  input: Record<string, unknown> | null;
}

/** Null when there is no such conversation. */
export async function readCapturedConversation(
  db: Queryable,
  conversationId: string,
): Promise<CapturedConversation | null> {
  const { rows: conversations } = await db.query<{
    id: string;
    channel: 'chat' | 'email';
    verified: boolean;
    contact_id: string | null;
    account_id: string | null;
    created_at: Date;
  }>(`SELECT id, channel, verified, contact_id, account_id, created_at FROM conversations WHERE id = $1`, [
    conversationId,
  ]);
  const conversation = conversations[0];
  if (!conversation) return null;

  const { rows: messages } = await db.query<{
    body: string;
    metadata: { input?: { kind?: unknown } };
    created_at: Date;
  }>(
    `SELECT body, metadata, created_at FROM messages WHERE conversation_id = $1 AND role = 'customer' ORDER BY id`,
    [conversationId],
  );
  const { rows: calls } = await db.query<AuditCall>(
    `SELECT connector_id, operation, effect, outcome, detail->'input' AS input
       FROM audit_log WHERE conversation_id = $1 ORDER BY id`,
    [conversationId],
  );

  const accountId = conversation.account_id;
  const contactId = conversation.contact_id;
  const account = accountId
    ? ((
        await db.query<{ id: string; name: string; tier: string; region: string }>(
          `SELECT id, name, tier, region FROM accounts WHERE id = $1`,
          [accountId],
        )
      ).rows[0] ?? null)
    : null;
  const contact =
    contactId && account
      ? ((
          await db.query<NonNullable<CapturedConversation['contact']>>(
            `SELECT id, name, email, timezone, phone, title FROM contacts WHERE id = $1 AND account_id = $2`,
            [contactId, account.id],
          )
        ).rows[0] ?? null)
      : null;

  const captured: CapturedConversation = {
    id: conversation.id,
    channel: conversation.channel,
    verified: conversation.verified,
    startedAt: messages[0]?.created_at ?? conversation.created_at,
    account: contact ? account : null,
    contact,
    customerTurns: messages.map((message) => ({
      text: message.body,
      input: typeof message.metadata?.input?.kind === 'string' ? { kind: message.metadata.input.kind } : null,
    })),
    subscriptions: [],
    invoices: [],
    payments: [],
    tickets: [],
    incidents: [],
    bookings: [],
    engineers: [],
    writes: calls
      .filter((call) => call.effect === 'write' && call.outcome === 'ok')
      .map((call) => ({ op: `${call.connector_id}.${call.operation}`, input: call.input ?? {} })),
  };
  // Without a known customer nothing of any account is copied: the world is the stand-in contact.
  if (!contact || !account) return captured;

  const byConnector = (connector: string) => calls.filter((call) => call.connector_id === connector);
  const named = (of: AuditCall[], keys: readonly string[]) =>
    of.flatMap((call) =>
      keys.map((key) => call.input?.[key]).filter((value): value is string => typeof value === 'string'),
    );
  const namesNone = (call: AuditCall, keys: readonly string[]) =>
    keys.every((key) => call.input?.[key] === undefined);

  const billing = byConnector('billing');
  if (billing.length > 0) {
    const billingKeys = [...namedIds.invoices, ...namedIds.payments, ...namedIds.subscriptions];
    const everything = billing.some((call) => namesNone(call, billingKeys));
    const invoiceIds = named(billing, namedIds.invoices);
    const paymentIds = named(billing, namedIds.payments);
    const subscriptionIds = named(billing, namedIds.subscriptions);
    // Invoices: listed ones, or the named ones and those of the named payments (same account only).
    captured.invoices = (
      await db.query(
        `SELECT i.id, i.account_id, i.subscription_id, i.amount_cents, i.status, i.issued_at, i.due_at
           FROM invoices i
          WHERE i.account_id = $1
            AND ($2::boolean OR i.id = ANY($3::text[])
                 OR i.id IN (SELECT p.invoice_id FROM payments p WHERE p.id = ANY($4::text[])))
          ORDER BY i.issued_at, i.id`,
        [account.id, everything, invoiceIds, paymentIds],
      )
    ).rows;
    const keptInvoices = captured.invoices.map((row) => String(row.id));
    captured.payments = (
      await db.query(
        `SELECT p.id, p.invoice_id, p.amount_cents, p.status, p.failure_reason, p.card_last4, p.created_at
           FROM payments p JOIN invoices i ON i.id = p.invoice_id
          WHERE i.account_id = $1 AND p.invoice_id = ANY($2::text[])
          ORDER BY p.created_at, p.id`,
        [account.id, keptInvoices],
      )
    ).rows;
    captured.subscriptions = (
      await db.query(
        `SELECT s.id, s.account_id, s.plan_id, s.status, s.period_start, s.period_end, s.cancel_at_period_end
           FROM subscriptions s
          WHERE s.account_id = $1
            AND ($2::boolean OR s.id = ANY($3::text[])
                 OR s.id IN (SELECT i.subscription_id FROM invoices i WHERE i.id = ANY($4::text[])))
          ORDER BY s.id`,
        [account.id, everything, subscriptionIds, keptInvoices],
      )
    ).rows;
  }

  const ticketing = byConnector('ticketing');
  if (ticketing.length > 0) {
    const ticketCalls = ticketing.filter((call) => call.operation !== 'search_incidents');
    const everything = ticketCalls.some(
      (call) => namesNone(call, namedIds.tickets) && call.operation !== 'create_ticket',
    );
    captured.tickets = (
      await db.query(
        `SELECT id, account_id, contact_id, subject, status, priority, category, incident_id, created_at
           FROM tickets
          WHERE account_id = $1 AND (contact_id IS NULL OR contact_id = $2)
            AND ($3::boolean OR id = ANY($4::text[]))
            -- Tickets the conversation itself created are its writes, not part of the world before it.
            AND (conversation_id IS NULL OR conversation_id <> $5) AND created_at < $6
          ORDER BY created_at, id`,
        [
          account.id,
          contact.id,
          everything,
          named(ticketCalls, namedIds.tickets),
          conversationId,
          conversation.created_at,
        ],
      )
    ).rows;
    // Incidents are the company's, not the customer's: those the kept tickets link, and the open
    // ones when the agent searched them.
    const searched = ticketing.some((call) => call.operation === 'search_incidents');
    captured.incidents = (
      await db.query(
        `SELECT id, title, status, severity, components, started_at, resolved_at, summary FROM incidents
          WHERE id = ANY($1::text[]) OR ($2::boolean AND status = 'open') ORDER BY started_at, id`,
        [captured.tickets.map((row) => row.incident_id).filter(Boolean), searched],
      )
    ).rows;
  }

  const calendar = byConnector('calendar');
  if (calendar.length > 0) {
    const everything = calendar.some(
      (call) =>
        namesNone(call, namedIds.bookings) && call.operation !== 'book' && call.operation !== 'find_slots',
    );
    captured.bookings = (
      await db.query(
        `SELECT id, contact_id, engineer_id, start_at, end_at, status FROM bookings
          WHERE contact_id = $1 AND ($2::boolean OR id = ANY($3::text[]))
            -- A booking the conversation made is its write, not part of the world before it.
            AND created_at < $4
          ORDER BY start_at, id`,
        [contact.id, everything, named(calendar, namedIds.bookings), conversation.created_at],
      )
    ).rows;
    // Finding a slot or booking reads the engineers' calendars; their other customers' bookings are
    // never copied (only this contact's bookings are read above).
    const allEngineers = calendar.some(
      (call) => call.operation === 'find_slots' || call.operation === 'book',
    );
    captured.engineers = (
      await db.query(
        `SELECT id, name, email, timezone, hours_start, hours_end, days FROM engineers
          WHERE $1::boolean OR id = ANY($2::text[]) ORDER BY id`,
        [allEngineers, captured.bookings.map((row) => row.engineer_id)],
      )
    ).rows;
  }
  return captured;
}
