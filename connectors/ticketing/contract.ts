import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineContract } from '../core/contract.ts';
import { incidentView, isoDateTime, recordId, ticketPriority, ticketStatus } from './schemas.ts';

/** A ticket as list_tickets and get_ticket show it. */
export const ticketSummary = z.object({
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

const createTicketInput = z.strictObject({
  /** Filled from the session; absent only for an anonymous visitor, who gives `requester_email`. */
  contact_id: recordId.optional(),
  requester_email: z.email().max(320).optional(),
  subject: z.string().trim().min(1).max(200),
  description: z.string().trim().min(1).max(10_000),
  priority: ticketPriority.default('normal'),
  category: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]{0,49}$/, 'must be a lower-case slug such as bug, billing or privacy')
    .default('general'),
});

const createTicketOutput = z.object({
  ticket_id: z.string(),
  status: ticketStatus,
  priority: ticketPriority,
  category: z.string(),
  subject: z.string(),
  created_at: isoDateTime,
  /** The open incident the report matches, linked to the ticket. */
  incident: z
    .object({
      id: z.string(),
      title: z.string(),
      severity: z.enum(['SEV1', 'SEV2', 'SEV3']),
      summary: z.string(),
    })
    .nullable(),
  /** True when the same report was already filed (a retried call): nothing new was created. */
  already_exists: z.boolean(),
});

/** The ticketing contract: its operations, declared once; backends implement them, callers name them. */
export const ticketing = {
  addComment: defineContract({
    connector: 'ticketing',
    name: 'add_comment',
    description:
      "Adds a comment (new information from the customer) to one of the customer's tickets; reopens it if it was solved.",
    effect: 'write',
    input: z.strictObject({ ticket_id: recordId, body: z.string().trim().min(1).max(10_000) }),
    output: z.object({
      comment_id: z.string(),
      ticket_id: z.string(),
      ticket_status: ticketStatus,
      created_at: isoDateTime,
      already_added: z.boolean(),
    }),
    idempotencyKey: (input) =>
      `comment:${input.ticket_id}:${createHash('sha256').update(input.body).digest('hex').slice(0, 16)}`,
  }),
  createTicket: defineContract({
    connector: 'ticketing',
    name: 'create_ticket',
    description:
      'Creates a support ticket (bug report, privacy request, …) for the customer, linking a matching open incident; returns the ticket reference.',
    effect: 'write',
    input: createTicketInput,
    output: createTicketOutput,
    idempotencyKey: (value) =>
      `ticket:${value.contact_id ?? value.requester_email ?? 'anonymous'}:${value.category}:${hashText(value.description)}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
    allowUnverified: true,
  }),
  searchIncidents: defineContract({
    connector: 'ticketing',
    name: 'search_incidents',
    description:
      'Searches known incidents (outages, degradations) by words of a problem description; open ones only by default. Without a query, lists them newest first.',
    effect: 'read',
    input: z.strictObject({
      query: z.string().trim().max(2_000).optional(),
      only_open: z.boolean().default(true),
      limit: z.number().int().min(1).max(50).default(5),
    }),
    output: z.object({ incidents: z.array(incidentView) }),
    cacheable: true,
    allowUnverified: true,
  }),
  listTickets: defineContract({
    connector: 'ticketing',
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
    customerKey: { field: 'account_id', from: 'accountId' },
    cacheable: true,
  }),
  getTicket: defineContract({
    connector: 'ticketing',
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
  }),
};

const hashText = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
