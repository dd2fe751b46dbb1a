import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHandlers, type FakeZendeskState, type HandlerRequest, ZendeskProblem } from './handlers.ts';
import { createHelpCenter, type FakeHelpCenter, helpCenterRoutes } from './help-center.ts';
import type { FakeUser } from './objects.ts';
import { stamp } from './objects.ts';

/**
 * A local fake of the Zendesk Support API endpoints the Zendesk ticketing backend calls, on
 * 127.0.0.1, answering as https://developer.zendesk.com/api-reference/ documents: Basic auth
 * `{email}/token:{api_token}` or `Authorization: Bearer {oauth_token}` (401 `{"error":"Couldn't
 * authenticate you"}` otherwise), JSON bodies, cursor pagination (`page[size]`, `page[after]`,
 * `meta.has_more`, `links.next`) and offset pagination (`page`, `per_page`, `next_page`), error
 * bodies `{ error, description }` and `{ error: 'RecordInvalid', details }`, and the Idempotency-Key
 * of Create Ticket (same key and body → the stored answer with `x-idempotency-lookup: hit`, kept 2
 * hours; another body → 400 `IdempotentRequestError`). See README.md for the endpoint list and how
 * it was checked.
 */

/** A request the fake received, for assertions. */
export interface FakeZendeskRequest {
  method: string;
  path: string;
  /** The operation name, e.g. `tickets.create`. */
  operation: string;
  query: Record<string, string>;
  body: unknown;
  idempotencyKey?: string;
  auth: 'api_token' | 'oauth' | 'none' | 'refused';
  status: number;
}

/** Failure modes on demand: status codes, a hang, a broken body, or the request carried out and the answer lost. */
export type FakeZendeskFault = 401 | 403 | 429 | 500 | 503 | 'hang' | 'malformed' | 'lost_response';

export interface FakeZendesk {
  /** Base URL to pass as `baseUrl`. */
  url: string;
  /** The API user (an agent) and its credentials. */
  agent: { email: string; apiToken: string; oauthToken: string; id: number };
  state: FakeZendeskState;
  /** Help Center (Guide) articles and sections (help-center.ts). */
  helpCenter: FakeHelpCenter;
  requests: FakeZendeskRequest[];
  /** The fake's clock (milliseconds); tests set it to the scenario's time. */
  clock: { now: number };
  /**
   * The next `times` calls (of `operation` only, when given) fail with `fault`. 429 and 503 carry
   * `Retry-After: retryAfter` (default 1). `lost_response` carries the request out and then
   * destroys the socket, as when an answer is lost after Zendesk acted.
   */
  failNext(
    fault: FakeZendeskFault,
    options?: { times?: number; operation?: string; retryAfter?: number },
  ): void;
  /** Forgets every ticket and user but the API agent, stored idempotent answers, queued faults and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const routes: Array<{ method: string; pattern: RegExp; operation: string }> = [
  ['GET', '/api/v2/users/me', 'users.me'],
  ['POST', '/api/v2/users', 'users.create'],
  ['GET', '/api/v2/users/search', 'users.search'],
  ['GET', '/api/v2/users/:id/tickets/requested', 'tickets.list_requested'],
  ['POST', '/api/v2/tickets', 'tickets.create'],
  ['GET', '/api/v2/tickets', 'tickets.list'],
  ['POST', '/api/v2/imports/tickets', 'tickets.import'],
  ['GET', '/api/v2/tickets/:id', 'tickets.show'],
  ['PUT', '/api/v2/tickets/:id', 'tickets.update'],
  ['GET', '/api/v2/tickets/:id/comments', 'ticket_comments.list'],
  ['GET', '/api/v2/search', 'search'],
  ...helpCenterRoutes,
].map(([method, path, operation]) => ({
  method: method!,
  operation: operation!,
  // Zendesk accepts every path with or without `.json`.
  pattern: new RegExp(`^${path!.replace(':id', '(\\d+)')}(?:\\.json)?$`),
}));

/** What `GET /api/v2/users/me` answers without valid credentials (node-zendesk's recorded fixture shows the name). */
const anonymousUser = {
  id: null,
  url: null,
  name: 'Anonymous user',
  email: 'invalid@example.com',
  role: 'end-user',
  locale: 'en-US',
  time_zone: 'UTC',
};

/** How long Zendesk keeps an idempotency key (https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency). */
const idempotencyTtlMs = 2 * 60 * 60 * 1000;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the fake on an ephemeral port of 127.0.0.1, with one agent as the API user. */
export async function startFakeZendesk(options: { now?: string } = {}): Promise<FakeZendesk> {
  const clock = { now: options.now ? Date.parse(options.now) : Date.now() };
  const state: FakeZendeskState = { users: new Map(), tickets: new Map() };
  const handlers = createHandlers(state, clock) as unknown as Record<
    string,
    (request: HandlerRequest) => { status: number; body: unknown; headers?: Record<string, string> }
  >;
  const helpCenter = createHelpCenter(clock, () => base);
  Object.assign(handlers, helpCenter.handlers);
  const credentials = {
    email: 'switchboard-bot@lumen.example',
    apiToken: randomBytes(20).toString('hex'),
    oauthToken: randomBytes(24).toString('hex'),
  };
  const agentUser: FakeUser = {
    id: 9_000_000,
    name: 'Switchboard Bot',
    email: credentials.email,
    role: 'agent',
    created_at: stamp(clock.now),
    updated_at: stamp(clock.now),
  };
  state.users.set(agentUser.id, agentUser);
  const requests: FakeZendeskRequest[] = [];
  const faults: Array<{ fault: FakeZendeskFault; operation?: string; retryAfter: number }> = [];
  const stored = new Map<string, { fingerprint: string; status: number; body: unknown; expires: number }>();
  const sockets = new Set<Socket>();
  let base = '';

  function authOf(header: string | undefined): FakeZendeskRequest['auth'] {
    if (!header) return 'none';
    const bearer = /^Bearer (.+)$/.exec(header)?.[1];
    if (bearer) return bearer === credentials.oauthToken ? 'oauth' : 'refused';
    const basic = /^Basic (.+)$/.exec(header)?.[1];
    if (!basic) return 'refused';
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    // API tokens: `{email}/token:{api_token}` (https://developer.zendesk.com/api-reference/introduction/security-and-auth/).
    return decoded === `${credentials.email}/token:${credentials.apiToken}` ? 'api_token' : 'refused';
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const route = routes.find(
      (candidate) => candidate.method === method && candidate.pattern.test(url.pathname),
    );
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    const text = await readBody(request);
    const record: FakeZendeskRequest = {
      method,
      path: url.pathname,
      operation: route?.operation ?? 'unknown',
      query: Object.fromEntries(url.searchParams),
      body: null,
      auth: authOf(request.headers.authorization),
      status: 0,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
    requests.push(record);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    const faultIndex = faults.findIndex(
      (queued) => !queued.operation || queued.operation === record.operation,
    );
    const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0] : undefined;
    try {
      if (fault?.fault === 'hang') return; // never answers: the client's timeout decides
      if (fault && typeof fault.fault === 'number') {
        const status = fault.fault;
        const bodies: Record<number, unknown> = {
          401: { error: "Couldn't authenticate you" },
          403: { error: 'Forbidden', description: 'You do not have access to this page.' },
          429: {
            error: 'APIRateLimitExceeded',
            description: 'Number of allowed API requests per minute exceeded',
          },
          500: { error: 'InternalServerError', description: 'Something went wrong' },
          503: { error: 'ServiceUnavailable', description: 'Service temporarily unavailable' },
        };
        return answer(
          status,
          bodies[status],
          status === 429 || status === 503 ? { 'retry-after': String(fault.retryAfter) } : {},
        );
      }
      if (record.auth === 'none' || record.auth === 'refused') {
        // Show the Currently Authenticated User is allowed for anonymous users: it answers as one.
        if (record.operation === 'users.me') return answer(200, { user: anonymousUser });
        return answer(401, { error: "Couldn't authenticate you" });
      }
      if (!route) throw new ZendeskProblem(404, 'InvalidEndpoint', 'Not found');
      let body: Record<string, unknown> = {};
      if (method === 'POST' || method === 'PUT') {
        if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
          throw new ZendeskProblem(400, 'InvalidContentType', 'Content-Type must be application/json');
        }
        try {
          body = JSON.parse(text || '{}') as Record<string, unknown>;
        } catch {
          throw new ZendeskProblem(400, 'Unprocessable', 'The request body is not valid JSON');
        }
      }
      record.body = body;
      // Idempotency: Create Ticket only; a key is bound to the request body and kept 2 hours.
      const useKey = record.operation === 'tickets.create' && idempotencyKey !== undefined;
      const fingerprint = createHash('sha256').update(`${method} ${route.operation} ${text}`).digest('hex');
      const earlier = useKey ? stored.get(idempotencyKey) : undefined;
      if (earlier && earlier.expires > clock.now) {
        if (earlier.fingerprint !== fingerprint) {
          throw new ZendeskProblem(
            400,
            'IdempotentRequestError',
            "Request parameters don't match the given idempotency key",
          );
        }
        if (fault?.fault === 'lost_response') return void request.socket.destroy();
        return answer(earlier.status, earlier.body, { 'x-idempotency-lookup': 'hit' });
      }
      const id = Number(route.pattern.exec(url.pathname)?.[1] ?? 0);
      const agent = state.users.get(agentUser.id)!;
      const result = handlers[route.operation]!({ id, query: url.searchParams, body, agent, base });
      if (useKey) {
        stored.set(idempotencyKey, {
          fingerprint,
          status: result.status,
          body: result.body,
          expires: clock.now + idempotencyTtlMs,
        });
      }
      if (fault?.fault === 'lost_response') return void request.socket.destroy();
      if (fault?.fault === 'malformed') {
        record.status = 200;
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        return void response.end('{"ticket": {"id": 45');
      }
      return answer(result.status, result.body, {
        ...result.headers,
        ...(useKey ? { 'x-idempotency-lookup': 'miss' } : {}),
      });
    } catch (error) {
      if (!(error instanceof ZendeskProblem)) throw error;
      answer(error.status, error.body());
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'InternalServerError', description: (error as Error).message }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    agent: { ...credentials, id: agentUser.id },
    state,
    helpCenter,
    requests,
    clock,
    failNext(fault, failOptions = {}) {
      for (let index = 0; index < (failOptions.times ?? 1); index++) {
        faults.push({
          fault,
          retryAfter: failOptions.retryAfter ?? 1,
          ...(failOptions.operation ? { operation: failOptions.operation } : {}),
        });
      }
    },
    reset() {
      state.tickets.clear();
      for (const id of state.users.keys()) if (id !== agentUser.id) state.users.delete(id);
      stored.clear();
      faults.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
