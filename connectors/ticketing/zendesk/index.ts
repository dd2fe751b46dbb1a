import { operationsOf } from '../../core/contract.ts';
import type { ConnectorDefinition } from '../../core/definition.ts';
import { ticketing } from '../contract.ts';
import { createAddComment } from './add-comment.ts';
import { createCreateTicket } from './create-ticket.ts';
import { createGetTicket, createListTickets, createSearchIncidents } from './reads.ts';
import { type ContactDirectory, createRequesterBinding } from './requester.ts';
import { createZendeskTransport, type ZendeskAuth } from './transport.ts';

export type { ContactDirectory } from './requester.ts';
export type { ZendeskAuth } from './transport.ts';

/** Settings of the Zendesk ticketing backend. */
export interface ZendeskTicketingConnectorOptions extends ContactDirectory {
  /** The account's subdomain (`acme` for acme.zendesk.com); or `baseUrl`. */
  subdomain?: string;
  /** Where the API is instead of `https://{subdomain}.zendesk.com`: a fake in tests, a proxy. */
  baseUrl?: string;
  /** An agent's API token (`{email}/token:{api_token}`) or an OAuth access token (docs/connectors.md, "Zendesk"). */
  auth: ZendeskAuth;
  /** Scopes this installation grants; all of the ticketing scopes by default. */
  grantedScopes?: string[];
  /** Only problem tickets with this tag are shown to customers as incidents (all of them when unset). */
  incidentTag?: string;
  /** Per-request timeout of the transport (default 10 s). */
  timeoutMs?: number;
  /** Page size of list calls (tests shrink it to exercise paging). */
  pageSize?: number;
}

/**
 * The ticketing connector over Zendesk Support: the same contract (`connectors/ticketing/contract.ts`)
 * as the built-in backend, Zendesk tickets mapped to its shapes (our ticket ids are Zendesk's ticket
 * ids), the requester bound from the verified session.
 */
export function createZendeskTicketingConnector(
  options: ZendeskTicketingConnectorOptions,
): ConnectorDefinition {
  const transport = createZendeskTransport({
    auth: options.auth,
    ...(options.subdomain ? { subdomain: options.subdomain } : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const requesters = createRequesterBinding({ transport, directory: { customerOf: options.customerOf } });
  const deps = {
    transport,
    requesters,
    ...(options.incidentTag ? { incidentTag: options.incidentTag } : {}),
  };
  const operations = [
    createGetTicket(deps),
    createListTickets(deps),
    createSearchIncidents(deps),
    createCreateTicket(deps),
    createAddComment(deps),
  ];
  return {
    id: 'ticketing',
    title: 'Ticketing (Zendesk)',
    grantedScopes: options.grantedScopes ?? ['tickets.read', 'tickets.write'],
    operations: operationsOf(ticketing, operations, 'ticketing'),
    async check(signal) {
      try {
        const me = await transport.me(signal);
        if (me.id === null) {
          return {
            ok: false,
            detail: 'Zendesk did not accept the credentials (it answered as the anonymous user)',
          };
        }
        if (me.role !== 'agent' && me.role !== 'admin') {
          return { ok: false, detail: `the Zendesk API user is an ${me.role}; it must be an agent or admin` };
        }
        return { ok: true, detail: `Zendesk reachable as ${me.name} (${me.role})` };
      } catch (error) {
        return { ok: false, detail: `Zendesk unreachable: ${(error as Error).message}` };
      }
    },
  };
}
