import type { CallerSession } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { zendeskTicketNumber } from './mapping.ts';
import type { ZendeskTransport } from './transport.ts';
import type { ZendeskUser } from './vendor-schemas.ts';

/** The verified session's contact as our CRM knows it (supplied by the wiring). */
export interface ContactDirectory {
  /** The session's contact email (and name); null when the session has no contact. */
  customerOf(session: CallerSession): Promise<{ email: string; name?: string } | null>;
}

/** What every Zendesk operation is built with. */
export interface ZendeskOperationDeps {
  transport: ZendeskTransport;
  requesters: RequesterBinding;
  /** Only problem tickets with this tag are shown as incidents (all problem tickets when unset). */
  incidentTag?: string;
}

/**
 * Binds calls to Zendesk requesters. The customer a call acts for follows from the verified session
 * (its contact's email, from our CRM), never from the input; a ticket is the caller's when its
 * requester's primary email is that address. Zendesk keeps emails unique across users, so this is
 * the same as "the requester is the caller's Zendesk user".
 */
export function createRequesterBinding(options: {
  transport: ZendeskTransport;
  directory: ContactDirectory;
}) {
  const { transport, directory } = options;

  async function contactOf(session: CallerSession): Promise<{ email: string; name?: string }> {
    if (!session.customer) throw new ConnectorError('forbidden', 'tickets need an identified customer');
    const contact = await directory.customerOf(session);
    if (!contact) throw new ConnectorError('not_found', 'the caller has no contact email to find in Zendesk');
    return contact;
  }

  /**
   * The Zendesk ticket an input names: its number (`4521`, `#4521`), else the one ticket whose
   * `external_id` it is (several with that external id name none: Zendesk does not keep them unique).
   */
  async function ticketNumberOf(ticketId: string, signal?: AbortSignal): Promise<number> {
    const number = zendeskTicketNumber(ticketId);
    if (number !== null) return number;
    const reference = ticketId.trim();
    const found = reference ? await transport.findTicketsByExternalId(reference, signal) : [];
    if (found.length !== 1) throw new ConnectorError('not_found', `No ticket ${ticketId}.`);
    return found[0]!.id;
  }

  return {
    contactOf,
    /** The session contact's Zendesk user, or null when Zendesk has none with that email. */
    async userOf(session: CallerSession, signal?: AbortSignal): Promise<ZendeskUser | null> {
      const contact = await contactOf(session);
      const users = await transport.findUsersByEmail(contact.email, signal);
      return users[0] ?? null;
    },
    /**
     * The ticket the input names, refused (`forbidden`) unless its requester is the caller — a
     * colleague's ticket in the same account included: Zendesk shows end users their own requests.
     */
    async ownTicket(session: CallerSession, ticketId: string, signal?: AbortSignal) {
      const contact = await contactOf(session);
      const found = await transport.showTicket(await ticketNumberOf(ticketId, signal), signal);
      const requester = found.users.find((user) => user.id === found.ticket.requester_id);
      if (!requester?.email || requester.email.toLowerCase() !== contact.email.toLowerCase()) {
        throw new ConnectorError('forbidden', `ticket ${ticketId} does not belong to the caller`);
      }
      return { ...found, requester };
    },
  };
}

export type RequesterBinding = ReturnType<typeof createRequesterBinding>;
