import type pg from 'pg';
import { z } from 'zod';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import {
  isoDateTime,
  openStatuses,
  ownerOfTicket,
  recordId,
  ticketPriority,
  ticketStatus,
} from '../schemas.ts';

const ticketSummary = z.object({
  id: z.string(),
  subject: z.string(),
  status: ticketStatus,
  priority: ticketPriority,
  category: z.string(),
  contact_id: z.string().nullable(),
  incident_id: z.string().nullable(),
  created_at: isoDateTime,
  updated_at: isoDateTime,
});

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
  return defineOperation({
    name: 'list_tickets',
    description:
      "The customer's support tickets, newest first; optionally only open ones, or only one contact's.",
    effect: 'read',
    input: z.strictObject({
      account_id: recordId,
      contact_id: recordId.optional(),
      open_only: z.boolean().default(false),
      limit: z.number().int().min(1).max(100).default(10),
    }),
    output: z.object({ tickets: z.array(ticketSummary) }),
    scopes: ['tickets.read'],
    timeoutMs: 5_000,
    customerKey: { field: 'account_id', from: 'accountId' },
    cacheable: true,
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
  return defineOperation({
    name: 'get_ticket',
    description:
      "One of the customer's tickets: status, priority, assignee, linked incident and the comment thread.",
    effect: 'read',
    input: z.strictObject({ ticket_id: recordId }),
    output: ticketSummary.extend({
      description: z.string(),
      assignee: z.string().nullable(),
      incident: z
        .object({ id: z.string(), title: z.string(), status: z.enum(['open', 'resolved']) })
        .nullable(),
      comments: z.array(
        z.object({
          id: z.string(),
          author: z.string(),
          body: z.string(),
          internal: z.boolean(),
          created_at: isoDateTime,
        }),
      ),
    }),
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
