import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GoogleTokenBook } from '../google-oauth/token-book.ts';
import { type BodyProblem, eventTimeInstant, validateEventBody, validateFreeBusyBody } from './validate.ts';

/** Scopes any one of which lets a token call the methods the fake implements. */
const calendarScopes = [
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.freebusy',
];

/**
 * A local fake of the Google Calendar v3 endpoints Switchboard uses, on 127.0.0.1. It checks paths,
 * methods, the bearer token and request bodies as the reference documents them, answers in
 * Google's JSON shapes (errors: https://developers.google.com/calendar/api/guides/errors), and
 * keeps events in memory.
 */

/** An event as the fake stores it. */
export interface FakeEvent {
  id: string;
  calendarId: string;
  status: 'confirmed' | 'cancelled';
  summary?: string;
  start: Record<string, unknown>;
  end: Record<string, unknown>;
  attendees?: Array<{ email: string }>;
  /** Properties private to the calendar's copy of the event (https://developers.google.com/calendar/api/guides/extended-properties). */
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  startMs: number;
  endMs: number;
  created: string;
  updated: string;
}

/** One request the fake received, for assertions. */
export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body: unknown;
  status: number;
}

export interface FakeGoogleCalendarState {
  /** Access tokens the fake accepts; remove one to make it "expire". */
  validTokens: Set<string>;
  /** Calendars that exist; null: every calendar id exists. */
  calendars: Set<string> | null;
  /** By `${calendarId}/${eventId}`. */
  events: Map<string, FakeEvent>;
  /** Other commitments (not events we manage) that free/busy reports. */
  busy: Array<{ calendarId: string; start: string; end: string }>;
  requests: FakeRequest[];
}

interface QueuedFailure {
  status: number | 'garbage';
  headers: Record<string, string>;
  afterApplying: boolean;
  operation?: FakeOperation;
}

/** The Calendar v3 methods the fake implements. */
export type FakeOperation =
  | 'freebusy.query'
  | 'events.insert'
  | 'events.get'
  | 'events.patch'
  | 'events.delete';

function operationOf(method: string, path: string): FakeOperation | undefined {
  if (path === '/calendar/v3/freeBusy') return 'freebusy.query';
  const match = /^\/calendar\/v3\/calendars\/[^/]+\/events(\/[^/]+)?$/.exec(path);
  if (!match) return undefined;
  if (!match[1]) return method === 'POST' ? 'events.insert' : undefined;
  return ({ GET: 'events.get', PATCH: 'events.patch', DELETE: 'events.delete' } as const)[method as 'GET'];
}

export interface FakeGoogleCalendar {
  /** Root URL to pass as `rootUrl` (ends with a slash). */
  url: string;
  state: FakeGoogleCalendarState;
  /**
   * The next `times` calls answer `status` (401, 403, 429, 5xx…) in Google's error shape, or
   * `'garbage'` (200 with a broken JSON body). With `afterApplying` the call is carried out first
   * and only its answer is lost, as when a response times out after Google acted. With `operation`
   * only calls of that method fail (e.g. 'events.insert').
   */
  failNext(
    status: number | 'garbage',
    headers?: Record<string, string>,
    options?: { times?: number; afterApplying?: boolean; operation?: FakeOperation },
  ): void;
  /** The live (not cancelled) events of a calendar. */
  liveEvents(calendarId: string): FakeEvent[];
  /** Forgets every event, busy block, queued failure and recorded request (tokens and calendars stay). */
  reset(): void;
  close(): Promise<void>;
}

const reasonsByStatus: Record<number, { reason: string; message: string }> = {
  400: { reason: 'badRequest', message: 'Bad Request' },
  401: { reason: 'authError', message: 'Invalid Credentials' },
  403: { reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' },
  404: { reason: 'notFound', message: 'Not Found' },
  409: { reason: 'duplicate', message: 'The requested identifier already exists.' },
  410: { reason: 'deleted', message: 'Resource has been deleted' },
  429: { reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' },
  500: { reason: 'backendError', message: 'Backend Error' },
  503: { reason: 'backendError', message: 'Backend Error' },
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const problem = (status: number, found: BodyProblem) => new HttpProblem(status, found.reason, found.message);

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(JSON.stringify(body));
}

function sendError(
  response: ServerResponse,
  status: number,
  reason: string,
  message: string,
  headers = {},
): void {
  sendJson(
    response,
    status,
    { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } },
    headers,
  );
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the fake on an ephemeral port. `tokens` are the valid access tokens. */
export async function startFakeGoogleCalendar(
  options: {
    tokens?: string[];
    calendars?: string[];
    /**
     * The shared token book of the Google fakes: its tokens are accepted too, when they carry a
     * Calendar scope (a token the OAuth fake issued for the Google connection).
     */
    book?: GoogleTokenBook;
  } = {},
): Promise<FakeGoogleCalendar> {
  const state: FakeGoogleCalendarState = {
    validTokens: new Set(options.tokens ?? ['test-access-token']),
    calendars: options.calendars ? new Set(options.calendars) : null,
    events: new Map(),
    busy: [],
    requests: [],
  };
  const failures: QueuedFailure[] = [];

  const eventResource = (event: FakeEvent) => ({
    kind: 'calendar#event',
    etag: `"${Date.parse(event.updated)}"`,
    id: event.id,
    status: event.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${event.id}`,
    created: event.created,
    updated: event.updated,
    summary: event.summary,
    start: event.start,
    end: event.end,
    attendees: event.attendees,
    ...(event.extendedProperties ? { extendedProperties: event.extendedProperties } : {}),
  });

  const calendarExists = (calendarId: string) => state.calendars === null || state.calendars.has(calendarId);

  function freeBusy(body: unknown) {
    const found = validateFreeBusyBody(body);
    if (found) throw problem(400, found);
    const { timeMin, timeMax, items } = body as {
      timeMin: string;
      timeMax: string;
      items: Array<{ id: string }>;
    };
    const from = Date.parse(timeMin);
    const to = Date.parse(timeMax);
    const calendars: Record<string, unknown> = {};
    for (const { id } of items) {
      if (!calendarExists(id)) {
        calendars[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
        continue;
      }
      const blocks = [
        ...[...state.events.values()]
          .filter((event) => event.calendarId === id && event.status !== 'cancelled')
          .map((event) => [event.startMs, event.endMs] as const),
        ...state.busy
          .filter((block) => block.calendarId === id)
          .map((b) => [Date.parse(b.start), Date.parse(b.end)] as const),
      ]
        .filter(([start, end]) => start < to && end > from)
        .map(([start, end]) => [Math.max(start, from), Math.min(end, to)] as [number, number])
        .sort((a, b) => a[0] - b[0]);
      // Google reports merged busy blocks, not individual events.
      const merged: Array<[number, number]> = [];
      for (const block of blocks) {
        const last = merged.at(-1);
        if (last && block[0] <= last[1]) last[1] = Math.max(last[1], block[1]);
        else merged.push([...block]);
      }
      calendars[id] = {
        busy: merged.map(([start, end]) => ({
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
        })),
      };
    }
    return { status: 200, body: { kind: 'calendar#freeBusy', timeMin, timeMax, calendars } };
  }

  function insertEvent(calendarId: string, body: unknown) {
    const found = validateEventBody(body, true);
    if (found) throw problem(400, found);
    const input = body as {
      id?: string;
      summary?: string;
      start: Json;
      end: Json;
      attendees?: Array<{ email: string }>;
      extendedProperties?: FakeEvent['extendedProperties'];
    };
    const id = input.id ?? randomBytes(13).toString('hex');
    if (state.events.has(`${calendarId}/${id}`)) {
      throw new HttpProblem(409, 'duplicate', 'The requested identifier already exists.');
    }
    const now = new Date().toISOString();
    const event: FakeEvent = {
      id,
      calendarId,
      status: 'confirmed',
      ...(input.summary !== undefined ? { summary: input.summary } : {}),
      start: input.start,
      end: input.end,
      ...(input.attendees ? { attendees: input.attendees } : {}),
      ...(input.extendedProperties ? { extendedProperties: input.extendedProperties } : {}),
      startMs: instantOf(input.start, 'start'),
      endMs: instantOf(input.end, 'end'),
      created: now,
      updated: now,
    };
    state.events.set(`${calendarId}/${id}`, event);
    return { status: 200, body: eventResource(event) };
  }

  function existingEvent(calendarId: string, eventId: string): FakeEvent {
    const event = state.events.get(`${calendarId}/${eventId}`);
    if (!event) throw new HttpProblem(404, 'notFound', 'Not Found');
    return event;
  }

  function patchEvent(calendarId: string, eventId: string, body: unknown) {
    const event = existingEvent(calendarId, eventId);
    if (event.status === 'cancelled') throw new HttpProblem(410, 'deleted', 'Resource has been deleted');
    const found = validateEventBody(body, false);
    if (found) throw problem(400, found);
    const patch = body as { id?: string; summary?: string; start?: Json; end?: Json };
    if (patch.id !== undefined && patch.id !== eventId)
      throw new HttpProblem(400, 'invalid', 'Invalid resource id value.');
    if (patch.summary !== undefined) event.summary = patch.summary;
    if (patch.start && patch.end) {
      event.start = patch.start;
      event.end = patch.end;
      event.startMs = instantOf(patch.start, 'start');
      event.endMs = instantOf(patch.end, 'end');
    }
    event.updated = new Date().toISOString();
    return { status: 200, body: eventResource(event) };
  }

  function deleteEvent(calendarId: string, eventId: string) {
    const event = existingEvent(calendarId, eventId);
    if (event.status === 'cancelled') throw new HttpProblem(410, 'deleted', 'Resource has been deleted');
    event.status = 'cancelled';
    event.updated = new Date().toISOString();
    return { status: 204, body: undefined };
  }

  function route(method: string, path: string, query: Record<string, string>, body: unknown) {
    if (query.sendUpdates !== undefined && !['all', 'externalOnly', 'none'].includes(query.sendUpdates)) {
      throw new HttpProblem(400, 'invalid', 'Invalid value for: sendUpdates');
    }
    // https://developers.google.com/calendar/api/v3/reference/freebusy/query
    if (path === '/calendar/v3/freeBusy') {
      if (method !== 'POST') throw new HttpProblem(405, 'httpMethodNotAllowed', 'Method Not Allowed');
      return freeBusy(body);
    }
    const match = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(path);
    if (!match) throw new HttpProblem(404, 'notFound', 'Not Found');
    const calendarId = decodeURIComponent(match[1]!);
    if (!calendarExists(calendarId)) throw new HttpProblem(404, 'notFound', 'Not Found');
    const eventId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    // https://developers.google.com/calendar/api/v3/reference/events/insert
    if (eventId === undefined && method === 'POST') return insertEvent(calendarId, body);
    // https://developers.google.com/calendar/api/v3/reference/events/get
    if (eventId !== undefined && method === 'GET') {
      return { status: 200, body: eventResource(existingEvent(calendarId, eventId)) };
    }
    // https://developers.google.com/calendar/api/v3/reference/events/patch
    if (eventId !== undefined && method === 'PATCH') return patchEvent(calendarId, eventId, body);
    // https://developers.google.com/calendar/api/v3/reference/events/delete
    if (eventId !== undefined && method === 'DELETE') return deleteEvent(calendarId, eventId);
    throw new HttpProblem(405, 'httpMethodNotAllowed', 'Method Not Allowed');
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    const text = await readBody(request);
    const record: FakeRequest = { method, path: url.pathname, query, body: undefined, status: 0 };
    if (request.headers.authorization) record.authorization = request.headers.authorization;
    state.requests.push(record);
    const answer = (status: number) => {
      record.status = status;
    };
    const operation = operationOf(method, url.pathname);
    const failureIndex = failures.findIndex((queued) => !queued.operation || queued.operation === operation);
    const failure = failureIndex >= 0 ? failures.splice(failureIndex, 1)[0] : undefined;
    try {
      if (failure && !failure.afterApplying) return void answer(fail(response, failure));

      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!token) throw new HttpProblem(401, 'required', 'Login Required.');
      if (!state.validTokens.has(token)) {
        const issued = options.book?.check(request.headers.authorization, calendarScopes);
        if (!issued?.ok)
          throw issued && issued.status === 403
            ? new HttpProblem(403, 'insufficientPermissions', issued.message)
            : new HttpProblem(401, 'authError', 'Invalid Credentials');
      }

      let body: unknown;
      if (method === 'POST' || method === 'PATCH') {
        if (!(request.headers['content-type'] ?? '').includes('application/json')) {
          throw new HttpProblem(400, 'parseError', 'Parse Error');
        }
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpProblem(400, 'parseError', 'Parse Error');
        }
        record.body = body;
      }
      const result = route(method, url.pathname, query, body);
      if (failure) return void answer(fail(response, failure));
      answer(result.status);
      if (result.body === undefined) {
        response.writeHead(result.status);
        response.end();
      } else sendJson(response, result.status, result.body);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      if (failure) return void answer(fail(response, failure));
      answer(error.status);
      sendError(response, error.status, error.reason, error.message);
    }
  }

  function fail(response: ServerResponse, failure: QueuedFailure): number {
    if (failure.status === 'garbage') {
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', ...failure.headers });
      response.end('{"kind": "calendar#event", "id": "abc');
      return 200;
    }
    const known = reasonsByStatus[failure.status] ?? { reason: 'backendError', message: 'Backend Error' };
    sendError(response, failure.status, known.reason, known.message, failure.headers);
    return failure.status;
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      sendError(response, 500, 'backendError', (error as Error).message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    state,
    failNext(status, headers = {}, failOptions = {}) {
      for (let index = 0; index < (failOptions.times ?? 1); index++) {
        failures.push({
          status,
          headers,
          afterApplying: failOptions.afterApplying ?? false,
          ...(failOptions.operation ? { operation: failOptions.operation } : {}),
        });
      }
    },
    liveEvents: (calendarId) =>
      [...state.events.values()].filter(
        (event) => event.calendarId === calendarId && event.status !== 'cancelled',
      ),
    reset() {
      state.events.clear();
      state.busy.length = 0;
      state.requests.length = 0;
      failures.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

type Json = Record<string, unknown>;

function instantOf(time: Json, field: string): number {
  const parsed = eventTimeInstant(time, field);
  if ('reason' in parsed) throw problem(400, parsed);
  return parsed.instant;
}
