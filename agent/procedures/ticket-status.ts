import { ticketing } from '../../connectors/contracts.ts';
import { ask, type Procedure, ReadFailed } from './procedure.ts';

const statusWords: Record<string, string> = {
  new: 'received and waiting to be picked up',
  open: 'open and being worked on',
  pending: 'waiting for a reply from you',
  on_hold: 'on hold while we wait on another team',
  solved: 'solved',
  closed: 'closed',
};

/** The customer's ticket status reported (only their own tickets). */
export const ticketStatusProcedure: Procedure = {
  intent: 'ticket.status',
  title: 'the status of a ticket',
  verification: 'required',
  slots: { ticket_id: { prompt: 'Which ticket is it (e.g. TCK-1042)?' } },
  async plan(context) {
    if (!context.slots.ticket_id) {
      const list = await context.read(ticketing.listTickets, {
        open_only: true,
        limit: 5,
      });
      if (list.ok && list.data.tickets.length === 1) context.slots.ticket_id = list.data.tickets[0]!.id;
      else if (list.ok && list.data.tickets.length === 0) {
        return {
          kind: 'reply',
          outcome: 'answered',
          text: "You don't have any open tickets with us right now.",
        };
      } else return ask(this, 'ticket_id');
    }
    const ticket = await context.read(ticketing.getTicket, {
      ticket_id: context.slots.ticket_id,
    });
    if (!ticket.ok) {
      if (
        ticket.failure === 'forbidden' ||
        ticket.failure === 'not_found' ||
        ticket.failure === 'invalid_input'
      ) {
        return {
          kind: 'reply',
          outcome: 'answered',
          text: `I couldn't find a ticket ${context.slots.ticket_id} on your account. Please check the reference (it looks like TCK-1042).`,
        };
      }
      throw new ReadFailed(ticket, 'ticketing.get_ticket');
    }
    const data = ticket.data;
    const staleNote = ticket.stale
      ? ' (from our last sync — the ticketing system is slow to answer right now)'
      : '';
    return {
      kind: 'reply',
      outcome: 'answered',
      text: `Ticket ${data.id} "${data.subject}" is ${statusWords[data.status] ?? data.status} (priority ${data.priority}, last updated ${data.updated_at.slice(0, 10)})${data.incident_id ? `; it is linked to incident ${data.incident_id}` : ''}${staleNote}.`,
    };
  },
};
