import type { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import type { ticketSummary } from '../contract.ts';
import type { IncidentView, ticketPriority, ticketStatus } from '../schemas.ts';
import type { ZendeskStatus, ZendeskTicket } from './vendor-schemas.ts';

/** The tag that marks tickets filed through Switchboard. */
export const switchboardTag = 'switchboard';
/** Our category travels as a tag `switchboard_category_<slug>` (Zendesk has no category field). */
export const categoryTagPrefix = 'switchboard_category_';
/** A ticket filed by an anonymous visitor: the requester's email address was never verified. */
export const unverifiedTag = 'switchboard_unverified_requester';
/** An incident's affected components are tags `component_<name>` on its problem ticket. */
export const componentTagPrefix = 'component_';

const statuses: Record<ZendeskStatus, z.infer<typeof ticketStatus>> = {
  new: 'new',
  open: 'open',
  pending: 'pending',
  hold: 'on_hold',
  solved: 'solved',
  closed: 'closed',
};

export const statusOf = (ticket: Pick<ZendeskTicket, 'status'>) => statuses[ticket.status];

/** Zendesk allows a ticket without a priority; the contract's default is `normal`. */
export const priorityOf = (ticket: Pick<ZendeskTicket, 'priority'>): z.infer<typeof ticketPriority> =>
  ticket.priority ?? 'normal';

export const categoryOf = (ticket: Pick<ZendeskTicket, 'tags'>): string =>
  ticket.tags.find((tag) => tag.startsWith(categoryTagPrefix))?.slice(categoryTagPrefix.length) || 'general';

export const isoOf = (value: string): string => new Date(value).toISOString();

export const idOf = (id: number | null | undefined): string | null => (id == null ? null : String(id));

/**
 * Our ticket ids are Zendesk's ticket ids, as text (`"4521"`); `"#4521"`, as Zendesk shows them to
 * customers, is accepted too. Null for anything else (which may be an `external_id`).
 */
export function zendeskTicketNumber(id: string): number | null {
  const match = /^#?(\d{1,15})$/.exec(id.trim());
  return match ? Number(match[1]) : null;
}

/** `zendeskTicketNumber`, or not_found for an id that is not a Zendesk ticket number. */
export function zendeskTicketId(id: string): number {
  const number = zendeskTicketNumber(id);
  if (number === null) throw new ConnectorError('not_found', `No ticket ${id}.`);
  return number;
}

/**
 * The id the contract shows for a ticket: its `external_id` when it has one (a ticket migrated from
 * an earlier help desk keeps the reference its customer was given there, e.g. `TCK-311`), else the
 * Zendesk ticket id. Both are accepted as input.
 */
export const ticketRefOf = (ticket: Pick<ZendeskTicket, 'id' | 'external_id'>): string =>
  ticket.external_id?.trim() ? ticket.external_id : String(ticket.id);

/** A ticket as list_tickets shows it; every ticket the backend shows is the session contact's own. */
export function summaryOf(ticket: ZendeskTicket, contactId: string | null): z.infer<typeof ticketSummary> {
  return {
    id: ticketRefOf(ticket),
    subject: ticket.subject ?? '',
    status: statusOf(ticket),
    priority: priorityOf(ticket),
    category: categoryOf(ticket),
    contact_id: contactId,
    incident_id: ticket.type === 'incident' ? idOf(ticket.problem_id) : null,
    created_at: isoOf(ticket.created_at),
    updated_at: isoOf(ticket.updated_at),
  };
}

const severityTags: Record<string, IncidentView['severity']> = { sev1: 'SEV1', sev2: 'SEV2', sev3: 'SEV3' };

/**
 * A problem ticket as a known incident: subject → title, description → summary, `solved`/`closed`
 * → resolved (at its last update), severity from a `sev1`–`sev3` tag or else the priority
 * (urgent → SEV1, high → SEV2, otherwise SEV3), components from `component_<name>` tags.
 */
export function incidentOf(problem: ZendeskTicket): IncidentView {
  const resolved = problem.status === 'solved' || problem.status === 'closed';
  const tagged = problem.tags.map((tag) => severityTags[tag]).find((severity) => severity !== undefined);
  const severity =
    tagged ?? (problem.priority === 'urgent' ? 'SEV1' : problem.priority === 'high' ? 'SEV2' : 'SEV3');
  return {
    id: ticketRefOf(problem),
    title: problem.subject ?? `Problem ${problem.id}`,
    status: resolved ? 'resolved' : 'open',
    severity,
    components: problem.tags
      .filter((tag) => tag.startsWith(componentTagPrefix))
      .map((tag) => tag.slice(componentTagPrefix.length).replaceAll('_', ' ')),
    started_at: isoOf(problem.created_at),
    resolved_at: resolved ? isoOf(problem.updated_at) : null,
    summary: (problem.description ?? '').slice(0, 1_000),
  };
}
