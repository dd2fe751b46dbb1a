import { z } from 'zod';

/*
 * Minimal schemas of the Zendesk Support API objects the backend reads: only the fields mapped to the
 * ticketing contract. Anything else Zendesk sends is ignored; a missing or mistyped field we read is a
 * `permanent` error, never a crash. Field names follow
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ (tickets),
 * .../tickets/ticket_comments/ (comments), .../users/users/ (users) and
 * .../ticket-management/search/ (search results).
 */

/** A ticket's status category (with custom statuses on, `status` is still one of these). */
export const zendeskStatus = z.enum(['new', 'open', 'pending', 'hold', 'solved', 'closed']);
export type ZendeskStatus = z.infer<typeof zendeskStatus>;

export const zendeskUser = z.object({
  id: z.number().int(),
  name: z.string(),
  email: z.string().nullish(),
  role: z.string(),
});
export type ZendeskUser = z.infer<typeof zendeskUser>;

export const zendeskTicket = z.object({
  id: z.number().int(),
  subject: z.string().nullish(),
  description: z.string().nullish(),
  status: zendeskStatus,
  priority: z.enum(['urgent', 'high', 'normal', 'low']).nullish(),
  type: z.enum(['problem', 'incident', 'question', 'task']).nullish(),
  requester_id: z.number().int(),
  assignee_id: z.number().int().nullish(),
  problem_id: z.number().int().nullish(),
  /** An id from another system: the reference a ticket migrated into Zendesk had there. */
  external_id: z.string().nullish(),
  tags: z.array(z.string()).default([]),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ZendeskTicket = z.infer<typeof zendeskTicket>;

export const zendeskComment = z.object({
  id: z.number().int(),
  author_id: z.number().int(),
  body: z.string(),
  public: z.boolean(),
  created_at: z.string(),
});
export type ZendeskComment = z.infer<typeof zendeskComment>;

/** `{ ticket, users? }`: Show Ticket with `include=users`. */
export const ticketWithUsers = z.object({
  ticket: zendeskTicket,
  users: z.array(zendeskUser).default([]),
});

/** Cursor pagination: `meta.has_more`, `meta.after_cursor`, `links.next`. */
const cursorPage = {
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullish() }),
  links: z.object({ next: z.string().nullish() }).optional(),
};

export const ticketsPage = z.object({ tickets: z.array(zendeskTicket), ...cursorPage });
/** List Tickets by `external_id` (offset pagination). */
export const ticketsOffsetPage = z.object({
  tickets: z.array(zendeskTicket),
  next_page: z.string().nullish(),
});
export const commentsPage = z.object({
  comments: z.array(zendeskComment),
  users: z.array(zendeskUser).default([]),
  ...cursorPage,
});

/** Search Users (offset pagination only). */
export const usersPage = z.object({ users: z.array(zendeskUser), next_page: z.string().nullish() });

/** List Search Results (offset pagination only); the backend asks for tickets alone. */
export const ticketSearchPage = z.object({
  results: z.array(zendeskTicket.extend({ result_type: z.literal('ticket') })),
  next_page: z.string().nullish(),
});

/** Update Ticket: the ticket and the audit of the update, whose Comment event is the new comment. */
export const ticketUpdate = z.object({
  ticket: zendeskTicket,
  audit: z.object({
    id: z.number().int(),
    created_at: z.string(),
    events: z.array(z.object({ id: z.number().int(), type: z.string() })),
  }),
});

export const ticketEnvelope = z.object({ ticket: zendeskTicket });
/** Show the Currently Authenticated User: refused credentials get 200 and the anonymous user (`id: null`). */
export const currentUser = z.object({ user: zendeskUser.extend({ id: z.number().int().nullable() }) });
