import type pg from 'pg';
import type { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { ticketing } from '../contract.ts';
import { matchIncident } from '../incident-matching.ts';
import { type IncidentView, openStatuses, readIncidents } from '../schemas.ts';

/** Within this time, the same report from the same contact is the same ticket (a retry or a repeat). */
const sameTicketWindowMs = 24 * 60 * 60 * 1000;

type Input = z.infer<typeof ticketing.createTicket.input>;

type Output = z.infer<typeof ticketing.createTicket.output>;

/**
 * `ticketing.create_ticket`: files a ticket `TCK-<n>` for the customer's contact and links the open
 * incident the report matches, if any.
 */
export function createCreateTicketOperation({ db }: { db: pg.Pool }) {
  return implement(ticketing.createTicket, {
    scopes: ['tickets.write'],
    timeoutMs: 10_000,
    async run(value, context) {
      if (!value.contact_id) {
        if (!value.requester_email)
          throw new ConnectorError(
            'invalid_input',
            'A ticket needs the requester: contact_id or requester_email.',
          );
        return createVisitorTicket(db, value, context);
      }
      const contactId = value.contact_id;
      const now = context.now();
      return withTransaction(db, async (client) => {
        const contact = await client.query<{ account_id: string }>(
          'SELECT account_id FROM contacts WHERE id = $1 FOR UPDATE',
          [contactId],
        );
        const accountId = contact.rows[0]?.account_id;
        if (!accountId) throw new ConnectorError('not_found', `No contact ${contactId}.`);
        const earlier = await findSameTicket(client, contactId, value, now);
        if (earlier) return earlier;

        return insertTicket(client, value, { accountId, contactId, requesterEmail: null }, context);
      });
    },
  });
}

const incidentSummary = (incident: Pick<IncidentView, 'id' | 'title' | 'severity' | 'summary'>) => ({
  id: incident.id,
  title: incident.title,
  severity: incident.severity,
  summary: incident.summary,
});

/** `TCK-<n>`: one past the highest numbered ticket, under a lock so concurrent creations never collide. */
async function nextTicketId(client: pg.PoolClient): Promise<string> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchboard.ticket_number'))`);
  const { rows } = await client.query<{ next: string }>(
    `SELECT (GREATEST(COALESCE(max(substring(id from '^TCK-([0-9]{1,15})$')::bigint), 0), 1000) + 1)::text AS next FROM tickets`,
  );
  return `TCK-${rows[0]!.next}`;
}

/** The still-open ticket this contact filed with the same category and description in the last day. */
async function findSameTicket(
  client: pg.PoolClient,
  contactId: string,
  value: Input,
  now: Date,
): Promise<Output | null> {
  const { rows } = await client.query(
    `SELECT t.id, t.status, t.priority, t.category, t.subject, t.created_at,
       i.id AS incident_id, i.title AS incident_title, i.severity AS incident_severity, i.summary AS incident_summary
     FROM tickets t LEFT JOIN incidents i ON i.id = t.incident_id
     WHERE t.contact_id = $1 AND t.category = $2 AND t.description = $3 AND t.status = ANY($4::text[]) AND t.created_at > $5
     ORDER BY t.created_at DESC LIMIT 1`,
    [
      contactId,
      value.category,
      value.description,
      openStatuses,
      new Date(now.getTime() - sameTicketWindowMs),
    ],
  );
  const ticket = rows[0];
  if (!ticket) return null;
  return {
    ticket_id: ticket.id,
    status: ticket.status,
    priority: ticket.priority,
    category: ticket.category,
    subject: ticket.subject,
    created_at: new Date(ticket.created_at).toISOString(),
    incident: ticket.incident_id
      ? incidentSummary({
          id: ticket.incident_id,
          title: ticket.incident_title,
          severity: ticket.incident_severity,
          summary: ticket.incident_summary,
        })
      : null,
    already_exists: true,
  };
}

/** A ticket from an anonymous visitor: no account, the requester's email instead (migration 0005). */
function createVisitorTicket(
  db: pg.Pool,
  value: z.output<typeof ticketing.createTicket.input>,
  context: TicketContext,
): Promise<Output> {
  return withTransaction(db, (client) =>
    insertTicket(
      client,
      value,
      { accountId: null, contactId: null, requesterEmail: value.requester_email ?? null },
      context,
    ),
  );
}

type TicketContext = { now(): Date; session: { conversationId: string | null }; signal: AbortSignal };

/** Numbers and files the ticket, linking a matching open incident, inside the caller's transaction. */
async function insertTicket(
  client: pg.PoolClient,
  value: z.output<typeof ticketing.createTicket.input>,
  requester: { accountId: string | null; contactId: string | null; requesterEmail: string | null },
  context: TicketContext,
): Promise<Output> {
  const now = context.now();
  const incidents = await readIncidents(client, { onlyOpen: true });
  const incident = matchIncident(`${value.subject}\n${value.description}`, incidents);
  const ticketId = await nextTicketId(client);
  await client.query(
    `INSERT INTO tickets (id, account_id, contact_id, requester_email, subject, description, status, priority, category,
       conversation_id, incident_id, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $8, $9, $10, $11, $11)`,
    [
      ticketId,
      requester.accountId,
      requester.contactId,
      requester.requesterEmail,
      value.subject,
      value.description,
      value.priority,
      value.category,
      context.session.conversationId,
      incident?.id ?? null,
      now,
    ],
  );
  context.signal.throwIfAborted();
  return {
    ticket_id: ticketId,
    status: 'new' as const,
    priority: value.priority,
    category: value.category,
    subject: value.subject,
    created_at: now.toISOString(),
    incident: incident ? incidentSummary(incident) : null,
    already_exists: false,
  } satisfies Output;
}
