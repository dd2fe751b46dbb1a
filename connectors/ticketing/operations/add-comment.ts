import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { ticketing } from '../contract.ts';
import { authorOf, ownerOfTicket, type ticketStatus } from '../schemas.ts';

/** Within this time, the same comment by the same author on the same ticket is one comment (a retry). */
const sameCommentWindowMs = 60 * 60 * 1000;

/**
 * `ticketing.add_comment`: adds a public comment to one of the customer's tickets. A solved ticket
 * is reopened by it; a closed one cannot take comments (a new ticket is needed).
 */
export function createAddCommentOperation({ db }: { db: pg.Pool }) {
  return implement(ticketing.addComment, {
    scopes: ['tickets.write'],
    timeoutMs: 10_000,
    ownership: { ownerOf: (input, queryable) => ownerOfTicket(queryable, input.ticket_id) },
    async run(input, context) {
      const now = context.now();
      const author = authorOf(context.session);
      return withTransaction(db, async (client) => {
        const { rows } = await client.query<{ status: z.infer<typeof ticketStatus> }>(
          'SELECT status FROM tickets WHERE id = $1 FOR UPDATE',
          [input.ticket_id],
        );
        const ticket = rows[0];
        if (!ticket) throw new ConnectorError('not_found', `No ticket ${input.ticket_id}.`);
        const same = await client.query<{ id: string; created_at: Date }>(
          `SELECT id, created_at FROM ticket_comments WHERE ticket_id = $1 AND body = $2 AND author = $3 AND created_at > $4
           ORDER BY created_at DESC LIMIT 1`,
          [input.ticket_id, input.body, author, new Date(now.getTime() - sameCommentWindowMs)],
        );
        const existing = same.rows[0];
        if (existing) {
          return {
            comment_id: existing.id,
            ticket_id: input.ticket_id,
            ticket_status: ticket.status,
            created_at: new Date(existing.created_at).toISOString(),
            already_added: true,
          };
        }
        if (ticket.status === 'closed') {
          throw new ConnectorError(
            'invalid_input',
            `Ticket ${input.ticket_id} is closed; open a new ticket instead.`,
          );
        }
        const status = ticket.status === 'solved' ? 'open' : ticket.status;
        const commentId = `cm_${randomBytes(8).toString('hex')}`;
        await client.query(
          `INSERT INTO ticket_comments (id, ticket_id, author, body, internal, created_at) VALUES ($1, $2, $3, $4, false, $5)`,
          [commentId, input.ticket_id, author, input.body, now],
        );
        await client.query('UPDATE tickets SET status = $2, updated_at = $3 WHERE id = $1', [
          input.ticket_id,
          status,
          now,
        ]);
        context.signal.throwIfAborted();
        return {
          comment_id: commentId,
          ticket_id: input.ticket_id,
          ticket_status: status,
          created_at: now.toISOString(),
          already_added: false,
        };
      });
    },
  });
}
