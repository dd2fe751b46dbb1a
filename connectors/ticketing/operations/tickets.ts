import type pg from 'pg';
import type { z } from 'zod';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { ticketing, type ticketSummary } from '../contract.ts';
import { openStatuses, ownerOfTicket } from '../schemas.ts';

const summaryColumns =
  'id, subject, status, priority, category, contact_id, incident_id, created_at, updated_at';

// biome-ignore lint/suspicious/noExplicitAny: pg rows are untyped until mapped here
const toSummary = (row: any): z.infer<typeof ticketSummary> => ({
  id: row.id,
  subject: row.subject,
  status: row.status,
  priority: row.priority,
  category: row.category,
  contact_id: row.contact_id,
  incident_id: row.incident_id,
  created_at: new Date(row.created_at).toISOString(),
  updated_at: new Date(row.updated_at).toISOString(),
});

/** `ticketing.list_tickets`: the customer's own tickets (their account's, or one contact's), newest first. */
export function createListTicketsOperation({ db }: { db: pg.Pool }) {
  return implement(ticketing.listTickets, {
    scopes: ['tickets.read'],
    timeoutMs: 5_000,
    async run(input) {
      const { rows } = await db.query(
        `SELECT ${summaryColumns} FROM tickets
         WHERE account_id = $1 AND ($2::text IS NULL OR contact_id = $2) AND ($3::boolean = false OR status = ANY($4::text[]))
         ORDER BY created_at DESC, id DESC LIMIT $5`,
        [input.account_id, input.contact_id ?? null, input.open_only, openStatuses, input.limit],
      );
      return { tickets: rows.map(toSummary) };
    },
  });
}

/** `ticketing.get_ticket`: one of the customer's own tickets with its comments and linked incident. */
export function createGetTicketOperation({ db }: { db: pg.Pool }) {
  return implement(ticketing.getTicket, {
    scopes: ['tickets.read'],
    timeoutMs: 5_000,
    ownership: { ownerOf: (input, queryable) => ownerOfTicket(queryable, input.ticket_id) },
    async run(input, context) {
      const { rows } = await db.query(
        `SELECT t.id, t.subject, t.status, t.priority, t.category, t.contact_id, t.incident_id, t.created_at, t.updated_at,
           t.description, t.assignee, i.title AS incident_title, i.status AS incident_status
         FROM tickets t LEFT JOIN incidents i ON i.id = t.incident_id WHERE t.id = $1`,
        [input.ticket_id],
      );
      const ticket = rows[0];
      if (!ticket) throw new ConnectorError('not_found', `No ticket ${input.ticket_id}.`);
      // Internal comments are for the support team: only a human (the console) gets them.
      const comments = await db.query(
        `SELECT id, author, body, internal, created_at FROM ticket_comments
         WHERE ticket_id = $1 AND ($2::boolean OR NOT internal) ORDER BY created_at, id`,
        [input.ticket_id, context.session.actor === 'human'],
      );
      return {
        ...toSummary(ticket),
        description: ticket.description,
        assignee: ticket.assignee,
        incident: ticket.incident_id
          ? { id: ticket.incident_id, title: ticket.incident_title, status: ticket.incident_status }
          : null,
        comments: comments.rows.map((comment) => ({
          id: comment.id,
          author: comment.author,
          body: comment.body,
          internal: comment.internal,
          created_at: new Date(comment.created_at).toISOString(),
        })),
      };
    },
  });
}
