import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHandlers, type FakeAnswer, hubspotError } from './handlers.ts';
import { createFakeOAuth, type FakeOAuth, type FakeOAuthApp } from './oauth.ts';
import {
  createFakeHubSpotState,
  type FakeHubSpotState,
  type FakeObjectType,
  type FakeRecord,
} from './state.ts';

/**
 * A local fake of the HubSpot CRM API endpoints the HubSpot CRM backend uses, on 127.0.0.1. It
 * answers as https://developers.hubspot.com/docs/api documents: `Authorization: Bearer <token>`,
 * records `{ id, properties, createdAt, updatedAt, archived }`, search with `filterGroups` /
 * `properties` / `limit` / `after` answered `{ total, results, paging.next.after }`, v4 associations,
 * error bodies `{ status: 'error', message, correlationId, category }` and 429 with
 * `policyName` and the X-HubSpot-RateLimit-* headers. See README.md for the endpoints and how they were checked.
 */

/** A request the fake received, for assertions. */
export interface FakeHubSpotRequest {
  method: string;
  path: string;
  /** The operation name, e.g. `notes.create`, `contacts.search`, `contacts.associations.notes`. */
  operation: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

/** Failure modes on demand: status codes, a hang, a broken body, or the write applied and the answer lost. */
export type FakeHubSpotFault = 401 | 429 | 500 | 502 | 'hang' | 'malformed' | 'lost_response';

export interface FakeHubSpot {
  /** Base URL to pass as `baseUrl`. */
  url: string;
  /** The private app token the fake accepts. */
  token: string;
  /**
   * The fake's OAuth app (client id and secret), its token endpoint (`POST {url}/oauth/v1/token`)
   * and install page (`GET {url}/oauth/authorize`, approving at once); see oauth.ts.
   */
  oauth: FakeOAuth;
  state: FakeHubSpotState;
  requests: FakeHubSpotRequest[];
  /**
   * The next `times` calls (of `operation` only, when given) fail with `fault`. 429 names
   * `policyName` (default TEN_SECONDLY_ROLLING) and sends `Retry-After` only when `retryAfter` is
   * given (HubSpot does not promise it). `lost_response` carries the request out and then destroys
   * the socket, as when the answer is lost after HubSpot acted.
   */
  failNext(
    fault: FakeHubSpotFault,
    options?: { times?: number; operation?: string; retryAfter?: number; policyName?: string },
  ): void;
  /** Records of one type, for assertions on the fake's state. */
  records(type: FakeObjectType): FakeRecord[];
  /** Owners are HubSpot users: there is no API to create them, so tests add them here. */
  addOwner(owner: { id: string; email: string; firstName: string; lastName: string }): void;
  /** Forgets every record, association, custom property and owner, queued faults and recorded requests (a fresh portal). */
  reset(): void;
  close(): Promise<void>;
}

type Handlers = ReturnType<typeof createHandlers>;
interface Route {
  method: string;
  pattern: RegExp;
  operation: (params: string[]) => string;
  handle: (handlers: Handlers, params: string[], query: URLSearchParams, body: unknown) => FakeAnswer;
}

const route = (
  method: string,
  path: string,
  operation: (params: string[]) => string,
  handle: Route['handle'],
): Route => ({
  method,
  pattern: new RegExp(`^${path.replace(/:[a-zA-Z]+/g, '([^/]+)')}$`),
  operation,
  handle,
});

const routes: Route[] = [
  route(
    'GET',
    '/crm/v3/objects/:type',
    ([t]) => `${t}.list`,
    (h, [t], q) => h.list(t!, q),
  ),
  route(
    'POST',
    '/crm/v3/objects/:type',
    ([t]) => `${t}.create`,
    (h, [t], _q, b) => h.create(t!, b),
  ),
  route(
    'POST',
    '/crm/v3/objects/:type/search',
    ([t]) => `${t}.search`,
    (h, [t], _q, b) => h.search(t!, b),
  ),
  route(
    'POST',
    '/crm/v3/objects/:type/batch/read',
    ([t]) => `${t}.batchRead`,
    (h, [t], _q, b) => h.batchRead(t!, b),
  ),
  route(
    'GET',
    '/crm/v3/objects/:type/:id',
    ([t]) => `${t}.read`,
    (h, [t, id], q) => h.read(t!, id!, q),
  ),
  route(
    'PATCH',
    '/crm/v3/objects/:type/:id',
    ([t]) => `${t}.update`,
    (h, [t, id], _q, b) => h.update(t!, id!, b),
  ),
  route(
    'GET',
    '/crm/v4/objects/:from/:id/associations/:to',
    ([from, , to]) => `${from}.associations.${to}`,
    (h, [from, id, to], q) => h.associations(from!, id!, to!, q),
  ),
  route(
    'PUT',
    '/crm/v4/objects/:from/:id/associations/default/:to/:toId',
    ([from, , to]) => `${from}.associate.${to}`,
    (h, [from, id, to, toId]) => h.associateDefault(from!, id!, to!, toId!),
  ),
  route(
    'GET',
    '/crm/v3/owners/:id',
    () => 'owners.read',
    (h, [id]) => h.owner(id!),
  ),
  route(
    'GET',
    '/crm/v3/properties/:type/:name',
    () => 'properties.read',
    (h, [t, name]) => h.property(t!, name!),
  ),
  route(
    'POST',
    '/crm/v3/properties/:type',
    () => 'properties.create',
    (h, [t], _q, b) => h.createProperty(t!, b),
  ),
];

/** Starts the fake on a free port of 127.0.0.1. `now` is the fake's clock (records' timestamps). */
export async function startFakeHubSpot(
  options: { now?: () => Date; token?: string; oauth?: Partial<FakeOAuthApp> } = {},
): Promise<FakeHubSpot> {
  const token = options.token ?? `pat-na1-${randomUUID()}`;
  const oauth = createFakeOAuth(
    {
      clientId: options.oauth?.clientId ?? randomUUID(),
      clientSecret: options.oauth?.clientSecret ?? randomUUID(),
      accessTokenSeconds: options.oauth?.accessTokenSeconds ?? 1800,
    },
    options.now ?? (() => new Date()),
  );
  const state = createFakeHubSpotState();
  const handlers = createHandlers(state, options.now ?? (() => new Date()));
  const requests: FakeHubSpotRequest[] = [];
  const faults: Array<{
    fault: FakeHubSpotFault;
    operation?: string;
    retryAfter?: number;
    policyName?: string;
  }> = [];
  const sockets = new Set<Socket>();

  const send = (response: ServerResponse, answer: FakeAnswer, headers: Record<string, string> = {}) => {
    response.writeHead(answer.status, { 'content-type': 'application/json;charset=utf-8', ...headers });
    response.end(JSON.stringify(answer.body));
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const matched = routes
      .map((candidate) => ({
        candidate,
        match: method === candidate.method ? candidate.pattern.exec(url.pathname) : null,
      }))
      .find((entry) => entry.match);
    const raw = await readBody(request);
    if (method === 'POST' && url.pathname === '/oauth/v1/token') {
      const form = String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')
        ? new URLSearchParams(raw)
        : new URLSearchParams();
      const answer = oauth.token(form);
      // The form holds the client secret and codes: only the grant type is recorded.
      requests.push({
        method,
        path: url.pathname,
        operation: 'oauth.token',
        query: {},
        body: { grant_type: form.get('grant_type') },
        status: answer.status,
      });
      return send(response, answer);
    }
    const refreshTokenPath = /^\/oauth\/v1\/refresh-tokens\/([^/]+)$/.exec(url.pathname);
    if (method === 'DELETE' && refreshTokenPath) {
      const answer = oauth.deleteRefreshToken(decodeURIComponent(refreshTokenPath[1]!));
      // The path is the refresh token: it is not recorded.
      requests.push({
        method,
        path: '/oauth/v1/refresh-tokens/{token}',
        operation: 'oauth.delete_refresh_token',
        query: {},
        body: null,
        status: answer.status,
      });
      if (answer.status === 204) {
        response.writeHead(204);
        response.end();
        return;
      }
      return send(response, answer);
    }
    if (method === 'GET' && url.pathname === '/oauth/authorize') {
      const answer = oauth.authorize(url.searchParams);
      requests.push({
        method,
        path: url.pathname,
        operation: 'oauth.authorize',
        query: Object.fromEntries(url.searchParams),
        body: null,
        status: 'location' in answer ? 302 : answer.status,
      });
      if ('location' in answer) {
        response.writeHead(302, { location: answer.location });
        response.end();
        return;
      }
      return send(response, answer);
    }
    const record = (operation: string, status: number, body: unknown) =>
      requests.push({
        method,
        path: url.pathname,
        operation,
        query: Object.fromEntries(url.searchParams),
        body,
        status,
      });
    if (!matched) {
      record('unknown', 404, raw);
      return send(response, hubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${method} ${url.pathname}`));
    }
    const params = matched.match!.slice(1).map(decodeURIComponent);
    const operation = matched.candidate.operation(params);
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const oauthToken = bearer === token ? 'valid' : oauth.accessTokenState(bearer);
    if (oauthToken === 'expired') {
      record(operation, 401, raw);
      return send(
        response,
        hubspotError(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired.'),
      );
    }
    if (oauthToken !== 'valid') {
      record(operation, 401, raw);
      return send(
        response,
        hubspotError(
          401,
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        ),
      );
    }
    let body: unknown;
    if (raw !== '') {
      if (!String(request.headers['content-type']).startsWith('application/json')) {
        record(operation, 415, raw);
        return send(response, hubspotError(415, 'VALIDATION_ERROR', 'Content-Type must be application/json'));
      }
      try {
        body = JSON.parse(raw);
      } catch {
        record(operation, 400, raw);
        return send(response, hubspotError(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1'));
      }
    }
    const index = faults.findIndex((fault) => !fault.operation || fault.operation === operation);
    const fault = index >= 0 ? faults.splice(index, 1)[0] : undefined;
    if (fault && fault.fault !== 'lost_response') {
      record(operation, typeof fault.fault === 'number' ? fault.fault : 0, body);
      return injectFault(response, fault);
    }
    const answer = matched.candidate.handle(handlers, params, url.searchParams, body);
    record(operation, answer.status, body);
    if (fault?.fault === 'lost_response') {
      request.socket.destroy();
      return;
    }
    send(response, answer, rateLimitHeaders());
  }

  function injectFault(response: ServerResponse, fault: (typeof faults)[number]): void {
    switch (fault.fault) {
      case 'hang':
        return; // never answers; the socket is destroyed on close
      case 'malformed':
        response.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
        response.end('{"results": [');
        return;
      case 401:
        send(
          response,
          hubspotError(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired.'),
        );
        return;
      case 429: {
        const policyName = fault.policyName ?? 'TEN_SECONDLY_ROLLING';
        // HubSpot's documented 429 body: errorType RATE_LIMIT and the policy hit; `category` as its other errors.
        const answer = hubspotError(
          429,
          'RATE_LIMITS',
          `You have reached your ${policyName.toLowerCase()} limit.`,
          {
            errorType: 'RATE_LIMIT',
            policyName,
            groupName: 'publicapi:private-app',
          },
        );
        send(response, answer, {
          ...rateLimitHeaders(0),
          ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}),
        });
        return;
      }
      default:
        send(
          response,
          hubspotError(fault.fault as number, 'INTERNAL_ERROR', 'Internal error. Please try again later.'),
        );
        return;
    }
  }

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      send(response, hubspotError(500, 'INTERNAL_ERROR', `fake failed: ${(error as Error).message}`));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    oauth,
    state,
    requests,
    failNext(fault, failOptions = {}) {
      for (let count = 0; count < (failOptions.times ?? 1); count++) {
        faults.push({
          fault,
          ...(failOptions.operation ? { operation: failOptions.operation } : {}),
          ...(failOptions.retryAfter !== undefined ? { retryAfter: failOptions.retryAfter } : {}),
          ...(failOptions.policyName ? { policyName: failOptions.policyName } : {}),
        });
      }
    },
    records: (type) => [...state.records.get(type)!.values()],
    addOwner(owner) {
      state.owners.set(owner.id, owner);
    },
    reset() {
      const fresh = createFakeHubSpotState();
      for (const records of state.records.values()) records.clear();
      state.associations.length = 0;
      for (const [type, names] of fresh.properties) state.properties.set(type, names);
      state.owners.clear();
      faults.length = 0;
      requests.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** HubSpot's rate-limit headers for a private app (100 requests per 10 s rolling window). */
function rateLimitHeaders(remaining = 99): Record<string, string> {
  return {
    'x-hubspot-ratelimit-interval-milliseconds': '10000',
    'x-hubspot-ratelimit-max': '100',
    'x-hubspot-ratelimit-remaining': String(remaining),
    'x-hubspot-correlation-id': randomBytes(8).toString('hex'),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}
