import {
  type FakeComment,
  type FakePriority,
  type FakeRole,
  type FakeStatus,
  type FakeTicket,
  type FakeType,
  type FakeUser,
  renderComment,
  renderTicket,
  renderUser,
  stamp,
} from './objects.ts';
import { parseQuery, searchType, ticketMatches, userMatches } from './search-query.ts';

/** An error answered in Zendesk's shape: `{ error, description }`, plus `details` for RecordInvalid. */
export class ZendeskProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly details?: Record<string, Array<{ description: string; error?: string }>>,
  ) {
    super(description);
  }
  body() {
    return {
      error: this.error,
      description: this.description,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const notFound = () => new ZendeskProblem(404, 'RecordNotFound', 'Not found');
const invalid = (field: string, description: string, error = 'InvalidValue') =>
  new ZendeskProblem(422, 'RecordInvalid', 'Record validation errors', { [field]: [{ description, error }] });

export interface FakeZendeskState {
  users: Map<number, FakeUser>;
  tickets: Map<number, FakeTicket>;
}

/** What a handler is given: path id, query, JSON body, the authenticated agent, the base URL. */
export interface HandlerRequest {
  id: number;
  query: URLSearchParams;
  body: Record<string, unknown>;
  agent: FakeUser;
  base: string;
}

const statuses: FakeStatus[] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const priorities: FakePriority[] = ['urgent', 'high', 'normal', 'low'];
const types: FakeType[] = ['problem', 'incident', 'question', 'task'];

/** Cursor pagination: `page[size]` (≤ 100) and `page[after]`, an opaque cursor (here: base64 of an offset). */
function cursorPage<T>(items: T[], query: URLSearchParams, base: string, path: string) {
  const size = Number(query.get('page[size]'));
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    throw new ZendeskProblem(400, 'InvalidPaginationParameter', 'page[size] must be between 1 and 100');
  }
  const after = query.get('page[after]');
  const start = after ? Number(Buffer.from(after, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) {
    throw new ZendeskProblem(400, 'InvalidPaginationParameter', 'page[after] is not a valid cursor');
  }
  const page = items.slice(start, start + size);
  const hasMore = start + size < items.length;
  const afterCursor = page.length > 0 ? Buffer.from(String(start + page.length)).toString('base64url') : null;
  const next = new URL(path, base);
  for (const [key, value] of query) if (key !== 'page[after]') next.searchParams.set(key, value);
  if (afterCursor) next.searchParams.set('page[after]', afterCursor);
  return {
    page,
    meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: start > 0 ? 'b' : null },
    links: { prev: null, next: hasMore ? next.toString() : null },
  };
}

/** Offset pagination: `page` and `per_page` (≤ 100), `next_page` a URL or null, `count`. */
function offsetPage<T>(items: T[], query: URLSearchParams, base: string, path: string) {
  const perPage = Math.min(100, Number(query.get('per_page') ?? 100) || 100);
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const next = new URL(path, base);
  for (const [key, value] of query) next.searchParams.set(key, value);
  next.searchParams.set('page', String(page + 1));
  return {
    page: slice,
    next_page: page * perPage < items.length ? next.toString() : null,
    previous_page: null,
    count: items.length,
  };
}

const sorters: Record<string, (a: FakeTicket, b: FakeTicket) => number> = {
  id: (a, b) => a.id - b.id,
  updated_at: (a, b) => a.updated_at.localeCompare(b.updated_at) || a.id - b.id,
  status: (a, b) => statuses.indexOf(a.status) - statuses.indexOf(b.status) || a.id - b.id,
};

export function createHandlers(state: FakeZendeskState, clock: { now: number }) {
  let nextUser = 9_000_001;
  let nextTicket = 4_501;
  let nextComment = 7_700_001;
  let nextAudit = 8_800_001;
  const now = () => stamp(clock.now);

  const userById = (id: unknown, field: string): FakeUser => {
    const user = typeof id === 'number' ? state.users.get(id) : undefined;
    if (!user) throw invalid(field, `${field}: is not a valid user`);
    return user;
  };
  const ticket = (id: number): FakeTicket => {
    const found = state.tickets.get(id);
    if (!found) throw notFound();
    return found;
  };
  const findByEmail = (email: string) =>
    [...state.users.values()].find((user) => user.email.toLowerCase() === email.toLowerCase());

  function createUser(input: { name?: unknown; email?: unknown; role?: unknown }): FakeUser {
    if (typeof input.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(input.email)) {
      throw invalid('email', 'Email: is invalid');
    }
    if (findByEmail(input.email)) {
      throw invalid('email', `Email: ${input.email} is already being used by another user`, 'DuplicateValue');
    }
    const role = (input.role ?? 'end-user') as FakeRole;
    if (!['end-user', 'agent', 'admin'].includes(role)) throw invalid('role', 'Role: is invalid');
    const user: FakeUser = {
      id: nextUser++,
      name: typeof input.name === 'string' && input.name.trim() ? input.name.trim() : input.email,
      email: input.email.toLowerCase(),
      role,
      created_at: now(),
      updated_at: now(),
    };
    state.users.set(user.id, user);
    return user;
  }

  /** The fields a create or an import share: subject, priority, type and problem link, tags. */
  function ticketFields(input: Record<string, unknown>, existing?: FakeTicket) {
    const priority = (input.priority ?? existing?.priority ?? null) as FakePriority | null;
    if (priority !== null && !priorities.includes(priority))
      throw invalid('priority', 'Priority: is invalid');
    const type = (input.type ?? existing?.type ?? null) as FakeType | null;
    if (type !== null && !types.includes(type)) throw invalid('type', 'Type: is invalid');
    const problemId = (input.problem_id ?? existing?.problem_id ?? null) as number | null;
    if (problemId !== null && state.tickets.get(problemId)?.type !== 'problem') {
      throw invalid('problem_id', 'Problem: is not a problem ticket');
    }
    const tags = Array.isArray(input.tags)
      ? [...new Set(input.tags.map((tag) => String(tag).toLowerCase().replaceAll(' ', '_')))]
      : (existing?.tags ?? []);
    // An id from another system, e.g. the reference a migrated ticket had there (any text; not unique).
    const externalId = input.external_id === undefined ? (existing?.external_id ?? null) : input.external_id;
    if (externalId !== null && typeof externalId !== 'string')
      throw invalid('external_id', 'External: is invalid');
    return {
      priority,
      type,
      problem_id: type === 'incident' ? problemId : null,
      tags,
      external_id: externalId,
    };
  }

  /** `requester_id`, or `requester: { email, name }` (found by email, else created as an end user). */
  function requesterOf(input: Record<string, unknown>, agent: FakeUser): FakeUser {
    if (input.requester_id !== undefined) return userById(input.requester_id, 'requester');
    const requester = input.requester as { email?: unknown; name?: unknown } | undefined;
    if (requester && typeof requester === 'object') {
      const email = typeof requester.email === 'string' ? requester.email : undefined;
      return (email && findByEmail(email)) || createUser({ name: requester.name, email });
    }
    return agent;
  }

  const comment = (input: { author_id: number; body: string; public: boolean; created_at: string }) => {
    const created: FakeComment = { id: nextComment++, audit_id: nextAudit++, ...input };
    return created;
  };

  return {
    // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-the-currently-authenticated-user
    'users.me': ({ agent, base }: HandlerRequest) => ({
      status: 200,
      body: { user: renderUser(base, agent) },
    }),

    // https://developer.zendesk.com/api-reference/ticketing/users/users/#create-user
    'users.create': ({ body, base }: HandlerRequest) => {
      const user = createUser((body.user ?? {}) as Record<string, unknown>);
      return { status: 201, body: { user: renderUser(base, user) } };
    },

    // https://developer.zendesk.com/api-reference/ticketing/users/users/#search-users (offset pagination only)
    'users.search': ({ query, base }: HandlerRequest) => {
      const text = query.get('query');
      if (!text) throw new ZendeskProblem(400, 'InvalidSearchQuery', 'query or external_id is required');
      const terms = parseQuery(text);
      const found = [...state.users.values()].filter((user) => userMatches(user, terms));
      const { page, ...rest } = offsetPage(found, query, base, '/api/v2/users/search.json');
      return { status: 200, body: { users: page.map((user) => renderUser(base, user)), ...rest } };
    },

    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
    'tickets.list_requested': ({ id, query, base }: HandlerRequest) => {
      if (!state.users.has(id)) throw notFound();
      const sort = query.get('sort') ?? 'id';
      const sorter = sorters[sort.replace(/^-/, '')];
      if (!sorter)
        throw new ZendeskProblem(400, 'InvalidPaginationParameter', `sort ${sort} is not supported`);
      const tickets = [...state.tickets.values()]
        .filter((candidate) => candidate.requester_id === id)
        .sort((a, b) => (sort.startsWith('-') ? -sorter(a, b) : sorter(a, b)));
      const path = `/api/v2/users/${id}/tickets/requested.json`;
      if (!query.has('page[size]')) {
        const { page, ...rest } = offsetPage(tickets, query, base, path);
        return {
          status: 200,
          body: { tickets: page.map((t) => renderTicket(base, t, state.tickets)), ...rest },
        };
      }
      const { page, ...rest } = cursorPage(tickets, query, base, path);
      return {
        status: 200,
        body: { tickets: page.map((t) => renderTicket(base, t, state.tickets)), ...rest },
      };
    },

    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets (`external_id`:
    // "Lists tickets by external id"; the fake lists only that way), offset or cursor pagination.
    'tickets.list': ({ query, base }: HandlerRequest) => {
      const externalId = query.get('external_id');
      if (externalId === null)
        throw new ZendeskProblem(400, 'InvalidParameter', 'the fake lists tickets by external_id only');
      const tickets = [...state.tickets.values()]
        .filter((candidate) => candidate.external_id === externalId)
        .sort((a, b) => a.id - b.id);
      const path = '/api/v2/tickets.json';
      const { page, ...rest } = query.has('page[size]')
        ? cursorPage(tickets, query, base, path)
        : offsetPage(tickets, query, base, path);
      return {
        status: 200,
        body: { tickets: page.map((t) => renderTicket(base, t, state.tickets)), ...rest },
      };
    },

    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#show-ticket (sideload: include=users)
    'tickets.show': ({ id, query, base }: HandlerRequest) => {
      const found = ticket(id);
      const body: Record<string, unknown> = { ticket: renderTicket(base, found, state.tickets) };
      if (query.get('include')?.split(',').includes('users')) {
        const ids = new Set([found.requester_id, found.submitter_id, found.assignee_id]);
        body.users = [...ids].flatMap((userId) => {
          const user = userId === null ? undefined : state.users.get(userId);
          return user ? [renderUser(base, user)] : [];
        });
      }
      return { status: 200, body };
    },

    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
    'tickets.create': ({ body, agent, base }: HandlerRequest) => {
      const input = (body.ticket ?? {}) as Record<string, unknown>;
      const first = (input.comment ?? {}) as { body?: unknown; public?: unknown; author_id?: unknown };
      const text = typeof first.body === 'string' ? first.body : input.description;
      if (typeof text !== 'string' || text.trim() === '')
        throw invalid('description', 'Description: cannot be blank', 'BlankValue');
      const requester = requesterOf(input, agent);
      const fields = ticketFields(input);
      const status = (input.status ?? 'new') as FakeStatus;
      if (!statuses.includes(status) || status === 'closed') throw invalid('status', 'Status: is invalid');
      const created: FakeTicket = {
        id: nextTicket++,
        subject: typeof input.subject === 'string' ? input.subject : text.slice(0, 80),
        status,
        requester_id: requester.id,
        // The submitter is the API user, and the submitter always becomes the author of the first comment.
        submitter_id: agent.id,
        assignee_id: null,
        ...fields,
        created_at: now(),
        updated_at: now(),
        comments: [],
      };
      const author = first.author_id !== undefined ? userById(first.author_id, 'author_id').id : agent.id;
      created.comments.push(
        comment({ author_id: author, body: text, public: first.public !== false, created_at: now() }),
      );
      state.tickets.set(created.id, created);
      return {
        status: 201,
        body: {
          ticket: renderTicket(base, created, state.tickets),
          audit: {
            id: created.comments[0]!.audit_id,
            ticket_id: created.id,
            created_at: now(),
            author_id: agent.id,
          },
        },
        headers: { location: `${base}/api/v2/tickets/${created.id}.json` },
      };
    },

    // https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_import/#ticket-import (used for seeding)
    'tickets.import': ({ body, base }: HandlerRequest) => {
      const input = (body.ticket ?? {}) as Record<string, unknown>;
      const requester = userById(input.requester_id, 'requester');
      const createdAt = typeof input.created_at === 'string' ? stamp(Date.parse(input.created_at)) : now();
      const status = (input.status ?? 'open') as FakeStatus;
      if (!statuses.includes(status)) throw invalid('status', 'Status: is invalid');
      const imported: FakeTicket = {
        id: nextTicket++,
        subject: String(input.subject ?? ''),
        status,
        requester_id: requester.id,
        submitter_id:
          input.submitter_id !== undefined ? userById(input.submitter_id, 'submitter').id : requester.id,
        assignee_id: input.assignee_id !== undefined ? userById(input.assignee_id, 'assignee').id : null,
        ...ticketFields(input),
        created_at: createdAt,
        updated_at: typeof input.updated_at === 'string' ? stamp(Date.parse(input.updated_at)) : createdAt,
        comments: [],
      };
      const comments = Array.isArray(input.comments)
        ? (input.comments as Array<Record<string, unknown>>)
        : [];
      if (comments.length === 0 && typeof input.description === 'string') {
        comments.push({ author_id: requester.id, value: input.description });
      }
      for (const entry of comments) {
        imported.comments.push(
          comment({
            author_id: userById(entry.author_id, 'author_id').id,
            body: String(entry.value ?? entry.body ?? ''),
            public: entry.public !== false,
            created_at:
              typeof entry.created_at === 'string' ? stamp(Date.parse(entry.created_at)) : createdAt,
          }),
        );
      }
      state.tickets.set(imported.id, imported);
      return { status: 201, body: { ticket: renderTicket(base, imported, state.tickets) } };
    },

    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
    'tickets.update': ({ id, body, agent, base }: HandlerRequest) => {
      const found = ticket(id);
      const input = (body.ticket ?? {}) as Record<string, unknown>;
      if (found.status === 'closed') {
        throw invalid('status', 'Status: closed prevents ticket update', 'ClosedPreventsUpdate');
      }
      // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#protecting-against-ticket-update-collisions
      if (input.safe_update === true && typeof input.updated_stamp === 'string') {
        if (Date.parse(input.updated_stamp) !== Date.parse(found.updated_at)) {
          throw new ZendeskProblem(
            409,
            'UpdateConflict',
            'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.',
          );
        }
      }
      const status = (input.status ?? found.status) as FakeStatus;
      if (!statuses.includes(status)) throw invalid('status', 'Status: is invalid');
      const fields = ticketFields(input, found);
      const events: Array<Record<string, unknown>> = [];
      const auditId = nextAudit++;
      const added = input.comment as { body?: unknown; public?: unknown; author_id?: unknown } | undefined;
      if (added !== undefined) {
        if (typeof added.body !== 'string' || added.body.trim() === '')
          throw invalid('comment', 'Comment: cannot be blank', 'BlankValue');
        const author = added.author_id !== undefined ? userById(added.author_id, 'author_id').id : agent.id;
        const created = {
          ...comment({
            author_id: author,
            body: added.body,
            public: added.public !== false,
            created_at: now(),
          }),
          audit_id: auditId,
        };
        found.comments.push(created);
        events.push({
          id: created.id,
          type: 'Comment',
          author_id: author,
          body: created.body,
          public: created.public,
        });
      }
      if (status !== found.status) {
        events.push({
          id: nextComment++,
          type: 'Change',
          field_name: 'status',
          value: status,
          previous_value: found.status,
        });
      }
      Object.assign(found, fields, { status, updated_at: now() });
      return {
        status: 200,
        body: {
          ticket: renderTicket(base, found, state.tickets),
          audit: { id: auditId, ticket_id: found.id, created_at: now(), author_id: agent.id, events },
        },
      };
    },

    // https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments
    'ticket_comments.list': ({ id, query, base }: HandlerRequest) => {
      const found = ticket(id);
      const sort = query.get('sort') ?? 'created_at';
      if (sort !== 'created_at' && sort !== '-created_at') {
        throw new ZendeskProblem(400, 'InvalidPaginationParameter', `sort ${sort} is not supported`);
      }
      const ordered = [...found.comments].sort(
        (a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id,
      );
      if (sort === '-created_at') ordered.reverse();
      const path = `/api/v2/tickets/${id}/comments.json`;
      const paged = query.has('page[size]')
        ? cursorPage(ordered, query, base, path)
        : offsetPage(ordered, query, base, path);
      const { page, ...rest } = paged;
      const body: Record<string, unknown> = { comments: page.map(renderComment), ...rest };
      if (query.get('include')?.split(',').includes('users')) {
        const authors = new Set(page.map((entry) => entry.author_id));
        body.users = [...authors].flatMap((userId) => {
          const user = state.users.get(userId);
          return user ? [renderUser(base, user)] : [];
        });
      }
      return { status: 200, body };
    },

    // https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/#list-search-results
    search: ({ query, base }: HandlerRequest) => {
      const text = query.get('query');
      if (!text) throw new ZendeskProblem(400, 'invalid', 'Query is required');
      const terms = parseQuery(text);
      const type = searchType(terms);
      const sortBy = query.get('sort_by');
      const descending = (query.get('sort_order') ?? 'desc') === 'desc';
      const results =
        type === 'ticket' || type === null
          ? [...state.tickets.values()].filter((candidate) => ticketMatches(candidate, terms, state.users))
          : [];
      if (sortBy === 'created_at' || sortBy === 'updated_at') {
        results.sort((a, b) => a[sortBy].localeCompare(b[sortBy]) || a.id - b.id);
        if (descending) results.reverse();
      }
      const { page, ...rest } = offsetPage(results, query, base, '/api/v2/search.json');
      return {
        status: 200,
        body: {
          results: page.map((found) => ({
            ...renderTicket(base, found, state.tickets),
            result_type: 'ticket',
          })),
          facets: null,
          ...rest,
        },
      };
    },
  };
}

export type FakeZendeskHandlers = ReturnType<typeof createHandlers>;
