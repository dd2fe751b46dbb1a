import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import { toConnectorError } from './errors.ts';
import {
  commentsPage,
  currentUser,
  ticketEnvelope,
  ticketSearchPage,
  ticketsOffsetPage,
  ticketsPage,
  ticketUpdate,
  ticketWithUsers,
  usersPage,
  type ZendeskComment,
  type ZendeskTicket,
  type ZendeskUser,
} from './vendor-schemas.ts';

/** How the backend signs in to Zendesk: an API token of an agent, or an OAuth access token. */
export type ZendeskAuth =
  | { type: 'api_token'; email: string; apiToken: string }
  | {
      type: 'oauth';
      /** The token, or a function that returns the current one (a token manager). */
      accessToken: string | (() => Promise<string>);
      /** Called on a 401 so a token manager refreshes before the pipeline's retry. */
      onUnauthorized?: () => void;
    };

/** Settings of the one module that talks to Zendesk. */
export interface ZendeskTransportOptions {
  /** `{subdomain}.zendesk.com`; or `baseUrl` for a fake, a proxy or a host mapped brand. */
  subdomain?: string;
  baseUrl?: string;
  auth: ZendeskAuth;
  /** Per-request timeout; the pipeline's operation timeouts bound it too. */
  timeoutMs?: number;
  /** Page size of list calls (Zendesk allows 1–100). */
  pageSize?: number;
  /** Pages read at most per listing, so one call never walks an unbounded history. */
  maxPages?: number;
}

/** A write's result and whether Zendesk answered it from its idempotency store (`x-idempotency-lookup: hit`). */
export interface CreateResult {
  ticket: ZendeskTicket;
  replayed: boolean;
}

type Query = Record<string, string | number | undefined>;

export type ZendeskTransport = ReturnType<typeof createZendeskTransport>;

/** Creates the Zendesk transport: `fetch` with a timeout, no retries of its own (retrying is the pipeline's job). */
export function createZendeskTransport(options: ZendeskTransportOptions) {
  const base = baseUrlOf(options);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pageSize = Math.min(100, Math.max(1, options.pageSize ?? 100));
  const maxPages = options.maxPages ?? 10;
  const { auth } = options;

  const authorization = () => zendeskAuthorization(auth);

  async function send<Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    request: { method?: string; path: string; query?: Query; body?: unknown; idempotencyKey?: string },
    signal?: AbortSignal,
  ): Promise<{ value: z.output<Schema>; headers: Headers }> {
    const url = new URL(request.path, base);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: await authorization(),
      accept: 'application/json',
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.idempotencyKey) headers['idempotency-key'] = zendeskIdempotencyKey(request.idempotencyKey);
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: request.method ?? 'GET',
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new ConnectorError('transient', `Zendesk ${what} did not answer: ${reason}`);
    }
    if (!response.ok) throw toConnectorError(response.status, response.headers, text, what, auth);
    return { value: parseZendeskAnswer(what, schema, text), headers: response.headers };
  }
  const read = async <Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    request: { path: string; query?: Query },
    signal?: AbortSignal,
  ): Promise<z.output<Schema>> => (await send(what, schema, request, signal)).value;

  /**
   * Cursor pagination (https://developer.zendesk.com/api-reference/introduction/pagination/):
   * `page[size]`, then `page[after]` = `meta.after_cursor` while `meta.has_more`; stops once
   * `enough(items)` holds or after `maxPages` pages.
   */
  async function cursorPages<Page extends { meta: { has_more: boolean; after_cursor?: string | null } }>(
    what: string,
    schema: z.ZodType<Page>,
    request: { path: string; query?: Query },
    onPage: (page: Page) => boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    let after: string | undefined;
    for (let index = 0; index < maxPages; index++) {
      const page = await read(
        what,
        schema,
        { path: request.path, query: { ...request.query, 'page[size]': pageSize, 'page[after]': after } },
        signal,
      );
      const enough = onPage(page);
      if (enough || !page.meta.has_more || !page.meta.after_cursor) return;
      after = page.meta.after_cursor;
    }
  }

  /** Offset pagination (search endpoints offer no other): `page` and `per_page` while `next_page` is set. */
  async function offsetPages<Page extends { next_page?: string | null | undefined }, Item>(
    what: string,
    schema: z.ZodType<Page>,
    itemsOf: (page: Page) => Item[],
    request: { path: string; query?: Query },
    signal?: AbortSignal,
  ): Promise<Item[]> {
    const items: Item[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const body = await read(
        what,
        schema,
        { path: request.path, query: { ...request.query, page, per_page: pageSize } },
        signal,
      );
      items.push(...itemsOf(body));
      if (!body.next_page) break;
    }
    return items;
  }

  return {
    /** Who-am-I. Zendesk answers refused credentials here with the anonymous user, not a 401. */
    // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-the-currently-authenticated-user
    me: async (signal?: AbortSignal) =>
      (await read('users.me', currentUser, { path: '/api/v2/users/me' }, signal)).user,

    /** Users whose primary email is exactly `email` (search matches partially; the filter is ours). */
    // https://developer.zendesk.com/api-reference/ticketing/users/users/#search-users
    findUsersByEmail: async (email: string, signal?: AbortSignal): Promise<ZendeskUser[]> => {
      const users = await offsetPages(
        'users.search',
        usersPage,
        (page) => page.users,
        { path: '/api/v2/users/search', query: { query: `email:${email}` } },
        signal,
      );
      return users.filter((user) => user.email?.toLowerCase() === email.toLowerCase());
    },

    /** The user's requested tickets, newest first (`sort=-id`), until `enough(tickets so far)`. */
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
    listRequestedTickets: async (
      userId: number,
      enough: (tickets: ZendeskTicket[]) => boolean,
      signal?: AbortSignal,
    ): Promise<ZendeskTicket[]> => {
      const tickets: ZendeskTicket[] = [];
      await cursorPages(
        'tickets.list_requested',
        ticketsPage,
        { path: `/api/v2/users/${userId}/tickets/requested`, query: { sort: '-id' } },
        (page) => {
          tickets.push(...page.tickets);
          return enough(tickets);
        },
        signal,
      );
      return tickets;
    },

    /** Tickets whose `external_id` is exactly `externalId` (a migrated ticket's old reference). */
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets (`external_id`)
    findTicketsByExternalId: (externalId: string, signal?: AbortSignal): Promise<ZendeskTicket[]> =>
      offsetPages(
        'tickets.list',
        ticketsOffsetPage,
        (page) => page.tickets.filter((ticket) => ticket.external_id === externalId),
        { path: '/api/v2/tickets', query: { external_id: externalId } },
        signal,
      ),

    /** One ticket with its users side-loaded (requester, submitter, assignee). */
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#show-ticket
    showTicket: (id: number, signal?: AbortSignal) =>
      read(
        'tickets.show',
        ticketWithUsers,
        { path: `/api/v2/tickets/${id}`, query: { include: 'users' } },
        signal,
      ),

    /** A ticket's comments (oldest first, or newest first with `newestFirst`) and their authors. */
    // https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments
    listComments: async (
      ticketId: number,
      order: { newestFirst: boolean; max?: number },
      signal?: AbortSignal,
    ): Promise<{ comments: ZendeskComment[]; users: ZendeskUser[] }> => {
      const comments: ZendeskComment[] = [];
      const users: ZendeskUser[] = [];
      await cursorPages(
        'ticket_comments.list',
        commentsPage,
        {
          path: `/api/v2/tickets/${ticketId}/comments`,
          query: { include: 'users', sort: order.newestFirst ? '-created_at' : 'created_at' },
        },
        (page) => {
          comments.push(...page.comments);
          users.push(...page.users);
          return order.max !== undefined && comments.length >= order.max;
        },
        signal,
      );
      return { comments, users };
    },

    /** Creates a ticket under our idempotency key (Zendesk keeps a key for 2 hours). */
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
    // https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency
    createTicket: async (
      ticket: Record<string, unknown>,
      idempotencyKey: string | undefined,
      signal?: AbortSignal,
    ): Promise<CreateResult> => {
      const { value, headers } = await send(
        'tickets.create',
        ticketEnvelope,
        {
          method: 'POST',
          path: '/api/v2/tickets',
          body: { ticket },
          ...(idempotencyKey ? { idempotencyKey } : {}),
        },
        signal,
      );
      return { ticket: value.ticket, replayed: headers.get('x-idempotency-lookup') === 'hit' };
    },

    /** Updates a ticket (a comment, a status), refused with 409 if it changed since `updated_stamp`. */
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
    // (safe_update: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#protecting-against-ticket-update-collisions)
    updateTicket: (id: number, ticket: Record<string, unknown>, signal?: AbortSignal) =>
      send(
        'tickets.update',
        ticketUpdate,
        { method: 'PUT', path: `/api/v2/tickets/${id}`, body: { ticket } },
        signal,
      ).then((result) => result.value),

    /** Tickets matching a search query, ordered by `sort_by` (newest first). */
    // https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/#list-search-results
    searchTickets: (query: string, signal?: AbortSignal): Promise<ZendeskTicket[]> =>
      offsetPages(
        'search',
        ticketSearchPage,
        (page) => page.results,
        { path: '/api/v2/search', query: { query, sort_by: 'created_at', sort_order: 'desc' } },
        signal,
      ),
  };
}

function baseUrlOf(options: ZendeskTransportOptions): string {
  return zendeskBaseUrl(options, 'the Zendesk backend');
}

/** `https://{subdomain}.zendesk.com`, or the given base URL (a proxy, a fake) without a trailing slash. */
export function zendeskBaseUrl(options: { baseUrl?: string; subdomain?: string }, who: string): string {
  if (options.baseUrl) return options.baseUrl.replace(/\/+$/, '');
  if (!options.subdomain || !/^[a-z0-9][a-z0-9-]{0,62}$/i.test(options.subdomain)) {
    throw new Error(`${who} needs a subdomain (the "acme" of acme.zendesk.com) or a base URL`);
  }
  return `https://${options.subdomain}.zendesk.com`;
}

/**
 * The Authorization header of a Zendesk call: an API token as Basic `{email}/token:{token}`, or an
 * OAuth bearer token (https://developer.zendesk.com/api-reference/introduction/security-and-auth/).
 */
export async function zendeskAuthorization(auth: ZendeskAuth): Promise<string> {
  if (auth.type === 'api_token') {
    return `Basic ${Buffer.from(`${auth.email}/token:${auth.apiToken}`).toString('base64')}`;
  }
  const token = typeof auth.accessToken === 'function' ? await auth.accessToken() : auth.accessToken;
  return `Bearer ${token}`;
}

/** Zendesk takes keys of up to 255 characters; a longer key is replaced by its hash (still one key per call). */
export function zendeskIdempotencyKey(key: string): string {
  return key.length <= 255 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * A successful Zendesk answer checked against `schema` (the ticketing backend and the Guide source
 * read every answer this way): not JSON, or not of the expected shape → `permanent`, naming the first
 * issues.
 */
export function parseZendeskAnswer<Schema extends z.ZodType>(
  what: string,
  schema: Schema,
  text: string,
): z.output<Schema> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConnectorError('permanent', `unreadable response from Zendesk ${what} (not JSON)`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new ConnectorError('permanent', `unexpected response from Zendesk ${what}: ${where.join('; ')}`);
  }
  return parsed.data;
}
