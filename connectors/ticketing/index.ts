import type pg from 'pg';
import { operationsOf } from '../core/contract.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import { ticketing } from './contract.ts';
import { createAddCommentOperation } from './operations/add-comment.ts';
import { createCreateTicketOperation } from './operations/create-ticket.ts';
import { createSearchIncidentsOperation } from './operations/search-incidents.ts';
import { createGetTicketOperation, createListTicketsOperation } from './operations/tickets.ts';

export { ticketingPolicy } from './policy.ts';

/** Settings of the built-in ticketing system (backed by our database). */
export interface TicketingConnectorOptions {
  db: pg.Pool;
  /** Scopes this installation grants; all of the connector's scopes by default. */
  grantedScopes?: string[];
}

/** Scopes of the ticketing operations. */
export const ticketingScopes = ['tickets.read', 'tickets.write'];

/** Creates the built-in ticketing connector: tickets, comments, known incidents. */
export function createTicketingConnector(options: TicketingConnectorOptions): ConnectorDefinition {
  const { db } = options;
  const operations = [
    createGetTicketOperation({ db }),
    createListTicketsOperation({ db }),
    createSearchIncidentsOperation({ db }),
    createCreateTicketOperation({ db }),
    createAddCommentOperation({ db }),
  ];
  return {
    id: 'ticketing',
    title: 'Ticketing (built-in)',
    grantedScopes: options.grantedScopes ?? ticketingScopes,
    operations: operationsOf(ticketing, operations, 'ticketing'),
    async check() {
      try {
        const { rows } = await db.query<{ tickets: number; open_incidents: number }>(
          `SELECT (SELECT count(*) FROM tickets)::int AS tickets,
             (SELECT count(*) FROM incidents WHERE status = 'open')::int AS open_incidents`,
        );
        return { ok: true, detail: `${rows[0]!.tickets} tickets, ${rows[0]!.open_incidents} open incidents` };
      } catch (error) {
        return { ok: false, detail: `ticketing tables unreachable: ${(error as Error).message}` };
      }
    },
  };
}
