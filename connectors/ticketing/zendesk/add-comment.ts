import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { ticketing } from '../contract.ts';
import { isoOf, statusOf, ticketRefOf } from './mapping.ts';
import type { ZendeskOperationDeps } from './requester.ts';

/** Within this time, the same comment by the same author on the same ticket is one comment (a retry). */
const sameCommentWindowMs = 60 * 60 * 1000;
/** How many of the newest comments are compared with a new one. */
const recentComments = 20;

/**
 * `ticketing.add_comment` with Zendesk's Update Ticket (`ticket.comment`, public), on one of the
 * caller's tickets. The comment is the customer's, so its author is the requester (for a human in
 * the console, the API user). Zendesk takes no idempotency key on updates: before adding, the newest
 * comments are read, and the same text by the same author within the hour is the comment already
 * added (a retry after a lost answer adds nothing). `safe_update` with the ticket's `updated_at`
 * makes Zendesk refuse (409 → a retried `conflict`) if the ticket changed in between. A solved ticket
 * is reopened; a closed one takes no comments, as in Zendesk.
 */
export const createAddComment = (deps: ZendeskOperationDeps) =>
  implement(ticketing.addComment, {
    scopes: ['tickets.write'],
    timeoutMs: 15_000,
    async run(input, context) {
      const { ticket } = await deps.requesters.ownTicket(context.session, input.ticket_id, context.signal);
      const authorId = context.session.actor === 'human' ? undefined : ticket.requester_id;
      const since = context.now().getTime() - sameCommentWindowMs;
      const { comments } = await deps.transport.listComments(
        ticket.id,
        { newestFirst: true, max: recentComments },
        context.signal,
      );
      const same = comments.find(
        (comment) =>
          comment.public &&
          comment.body.trim() === input.body &&
          (authorId === undefined || comment.author_id === authorId) &&
          Date.parse(comment.created_at) > since,
      );
      if (same) {
        return {
          comment_id: String(same.id),
          ticket_id: ticketRefOf(ticket),
          ticket_status: statusOf(ticket),
          created_at: isoOf(same.created_at),
          already_added: true,
        };
      }
      if (ticket.status === 'closed') {
        throw new ConnectorError(
          'invalid_input',
          `Ticket ${ticket.id} is closed; open a new ticket instead.`,
        );
      }
      const updated = await deps.transport.updateTicket(
        ticket.id,
        {
          comment: {
            body: input.body,
            public: true,
            ...(authorId !== undefined ? { author_id: authorId } : {}),
          },
          ...(ticket.status === 'solved' ? { status: 'open' } : {}),
          safe_update: true,
          updated_stamp: ticket.updated_at,
        },
        context.signal,
      );
      const event = updated.audit.events.find((candidate) => candidate.type === 'Comment');
      if (!event)
        throw new ConnectorError('permanent', `Zendesk updated ticket ${ticket.id} without a comment event`);
      context.signal.throwIfAborted();
      return {
        comment_id: String(event.id),
        ticket_id: String(updated.ticket.id),
        ticket_status: statusOf(updated.ticket),
        created_at: isoOf(updated.audit.created_at),
        already_added: false,
      };
    },
  });
