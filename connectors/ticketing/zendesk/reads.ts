import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { ticketing } from '../contract.ts';
import { rankIncidents } from '../incident-matching.ts';
import { type IncidentView, openStatuses } from '../schemas.ts';
import { incidentOf, isoOf, priorityOf, statusOf, summaryOf } from './mapping.ts';
import type { ZendeskOperationDeps } from './requester.ts';
import type { ZendeskTicket, ZendeskUser } from './vendor-schemas.ts';

const open = new Set<string>(openStatuses);

/** Known incidents: Zendesk problem tickets (open ones only, when asked), newest first. */
export async function readIncidents(
  deps: ZendeskOperationDeps,
  options: { onlyOpen: boolean },
  signal?: AbortSignal,
): Promise<IncidentView[]> {
  return (await readProblems(deps, options, signal)).map(({ incident }) => incident);
}

/** `readIncidents` with each incident's problem ticket id (an incident's id may be its `external_id`). */
export async function readProblems(
  deps: ZendeskOperationDeps,
  options: { onlyOpen: boolean },
  signal?: AbortSignal,
): Promise<Array<{ problemId: number; incident: IncidentView }>> {
  const query = [
    'type:ticket',
    'ticket_type:problem',
    ...(options.onlyOpen ? ['status<solved'] : []),
    ...(deps.incidentTag ? [`tags:${deps.incidentTag}`] : []),
  ].join(' ');
  const problems = await deps.transport.searchTickets(query, signal);
  return problems
    .filter((problem) => problem.type === 'problem')
    .map((problem) => ({ problemId: problem.id, incident: incidentOf(problem) }))
    .filter(({ incident }) => !options.onlyOpen || incident.status === 'open')
    .sort((a, b) => Date.parse(b.incident.started_at) - Date.parse(a.incident.started_at));
}

/** `ticketing.search_incidents`: problem tickets ranked by the built-in matcher (public status information). */
export const createSearchIncidents = (deps: ZendeskOperationDeps) =>
  implement(ticketing.searchIncidents, {
    scopes: ['tickets.read'],
    timeoutMs: 10_000,
    async run(input, context) {
      const incidents = await readIncidents(deps, { onlyOpen: input.only_open }, context.signal);
      const found = input.query
        ? rankIncidents(input.query, incidents).map(({ incident }) => incident)
        : incidents;
      return { incidents: found.slice(0, input.limit) };
    },
  });

/**
 * `ticketing.list_tickets`: the tickets the session's contact requested in Zendesk, newest first. Only
 * the caller's own: Zendesk end users see their own requests, so another contact of the account is
 * refused rather than listed.
 */
export const createListTickets = (deps: ZendeskOperationDeps) =>
  implement(ticketing.listTickets, {
    scopes: ['tickets.read'],
    timeoutMs: 10_000,
    async run(input, context) {
      const own = context.session.customer?.contactId ?? null;
      if (input.contact_id !== undefined && input.contact_id !== own) {
        throw new ConnectorError('forbidden', "the Zendesk backend lists only the caller's own tickets");
      }
      const user = await deps.requesters.userOf(context.session, context.signal);
      if (!user) return { tickets: [] };
      const wanted = (ticket: ZendeskTicket) => !input.open_only || open.has(statusOf(ticket));
      const tickets = await deps.transport.listRequestedTickets(
        user.id,
        (sofar) => sofar.filter(wanted).length >= input.limit,
        context.signal,
      );
      return {
        tickets: tickets
          .filter(wanted)
          .map((ticket) => summaryOf(ticket, own))
          .sort((a, b) => b.created_at.localeCompare(a.created_at) || Number(b.id) - Number(a.id))
          .slice(0, input.limit),
      };
    },
  });

/**
 * `ticketing.get_ticket`: one of the caller's tickets with its comments. Zendesk's description is the
 * first comment: it is the description when the caller may see it, and the other comments are the
 * thread. Internal notes (private comments) reach only a human (the console).
 */
export const createGetTicket = (deps: ZendeskOperationDeps) =>
  implement(ticketing.getTicket, {
    scopes: ['tickets.read'],
    timeoutMs: 10_000,
    async run(input, context) {
      const { ticket, users } = await deps.requesters.ownTicket(
        context.session,
        input.ticket_id,
        context.signal,
      );
      const thread = await deps.transport.listComments(ticket.id, { newestFirst: false }, context.signal);
      const names = new Map<number, string>(
        [...users, ...thread.users].map((user: ZendeskUser) => [user.id, user.name]),
      );
      const mayRead = (comment: { public: boolean }) => comment.public || context.session.actor === 'human';
      const [first, ...rest] = thread.comments;
      const summary = summaryOf(ticket, context.session.customer?.contactId ?? null);
      const incident =
        ticket.problem_id != null && summary.incident_id
          ? await linkedIncident(deps, ticket.problem_id, context.signal)
          : null;
      return {
        ...summary,
        incident_id: incident?.id ?? summary.incident_id,
        priority: priorityOf(ticket),
        description: first && mayRead(first) ? first.body : '',
        assignee: ticket.assignee_id ? (names.get(ticket.assignee_id) ?? `user ${ticket.assignee_id}`) : null,
        incident,
        comments: rest.filter(mayRead).map((comment) => ({
          id: String(comment.id),
          author: names.get(comment.author_id) ?? `user ${comment.author_id}`,
          body: comment.body,
          internal: !comment.public,
          created_at: isoOf(comment.created_at),
        })),
      };
    },
  });

/** The problem ticket an incident ticket is linked to; null when it is gone. */
async function linkedIncident(deps: ZendeskOperationDeps, problemId: number, signal: AbortSignal) {
  try {
    const { ticket: problem } = await deps.transport.showTicket(problemId, signal);
    const incident = incidentOf(problem);
    return { id: incident.id, title: incident.title, status: incident.status };
  } catch (error) {
    if (error instanceof ConnectorError && error.kind === 'not_found') return null;
    throw error;
  }
}
