import type { z } from 'zod';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { ticketing } from '../contract.ts';
import { matchIncident } from '../incident-matching.ts';
import { categoryTagPrefix, isoOf, priorityOf, statusOf, switchboardTag, unverifiedTag } from './mapping.ts';
import { readProblems } from './reads.ts';
import type { ZendeskOperationDeps } from './requester.ts';

type Output = z.infer<typeof ticketing.createTicket.output>;

/**
 * `ticketing.create_ticket` with Zendesk's Create Ticket. The requester is the session contact's
 * email (from our CRM; Zendesk finds the user by it, or creates one), or an anonymous visitor's
 * address, tagged as unverified. The description is the ticket's first, public comment — the
 * customer's own words, as the built-in backend shows them back. A matching open incident (problem
 * ticket) links the new ticket to it as an `incident`. The call's idempotency key is sent as
 * Zendesk's Idempotency-Key: an attempt re-sent after a lost answer gets the ticket Zendesk already
 * made (`x-idempotency-lookup: hit`, `already_exists: true`), never a second one. The request body
 * is built only from the input and the session, so a re-sent attempt is the same request.
 */
export const createCreateTicket = (deps: ZendeskOperationDeps) =>
  implement(ticketing.createTicket, {
    scopes: ['tickets.write'],
    timeoutMs: 15_000,
    async run(input, context) {
      let requester: { name: string; email: string };
      const tags = [switchboardTag, `${categoryTagPrefix}${input.category}`];
      if (input.contact_id) {
        const contact = await deps.requesters.contactOf(context.session);
        requester = { name: contact.name?.trim() || localPart(contact.email), email: contact.email };
      } else if (input.requester_email) {
        requester = { name: localPart(input.requester_email), email: input.requester_email };
        tags.push(unverifiedTag);
      } else {
        throw new ConnectorError(
          'invalid_input',
          'A ticket needs the requester: contact_id or requester_email.',
        );
      }
      const problems = await readProblems(deps, { onlyOpen: true }, context.signal);
      const incidents = problems.map((problem) => problem.incident);
      const incident = matchIncident(`${input.subject}\n${input.description}`, incidents);
      const problemOf = (id: string) => problems.find((problem) => problem.incident.id === id)?.problemId;
      const created = await deps.transport.createTicket(
        {
          subject: input.subject,
          comment: { body: input.description, public: true },
          requester,
          priority: input.priority,
          tags,
          ...(incident ? { type: 'incident', problem_id: problemOf(incident.id) } : {}),
        },
        context.idempotencyKey,
        context.signal,
      );
      const { ticket } = created;
      const linked = incidents.find(
        (candidate) => ticket.problem_id != null && problemOf(candidate.id) === ticket.problem_id,
      );
      context.signal.throwIfAborted();
      return {
        ticket_id: String(ticket.id),
        status: statusOf(ticket),
        priority: priorityOf(ticket),
        category: input.category,
        subject: ticket.subject ?? input.subject,
        created_at: isoOf(ticket.created_at),
        incident: linked
          ? { id: linked.id, title: linked.title, severity: linked.severity, summary: linked.summary }
          : null,
        already_exists: created.replayed,
      } satisfies Output;
    },
  });

const localPart = (email: string) => email.split('@')[0] || email;
