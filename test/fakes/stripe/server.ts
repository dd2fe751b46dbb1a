import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type FormValue, parseForm } from './form.ts';
import { createHandlers, type FakeStripeState, StripeProblem } from './handlers.ts';
import type { FakeCharge, FakeCustomer, FakeInvoice } from './objects.ts';

/**
 * A local fake of the Stripe API endpoints the Stripe billing backend uses, on 127.0.0.1. It answers
 * as https://docs.stripe.com/api documents: `Authorization: Bearer sk_test_…`, form-encoded bodies
 * with bracket notation, list objects with `limit`/`starting_after`, error bodies
 * `{ error: { type, code, message, param } }`, `Stripe-Version` and `Idempotency-Key` semantics
 * (same key and parameters → the stored answer replayed with `Idempotent-Replayed: true`; other
 * parameters → 400 `idempotency_error`). See README.md for the endpoint list and how it was checked.
 */

/** A request the fake received, for assertions. */
export interface FakeStripeRequest {
  method: string;
  path: string;
  /** The operation name, e.g. `refunds.create`. */
  operation: string;
  params: Record<string, FormValue>;
  idempotencyKey?: string;
  stripeVersion?: string;
  status: number;
}

/** Failure modes on demand: status codes, a hang, a broken body, or the write applied and the answer lost. */
export type FakeStripeFault = 401 | 429 | 500 | 503 | 'hang' | 'malformed' | 'lost_response';

export interface FakeStripe {
  /** Base URL to pass as `apiBase`. */
  url: string;
  /** The key the fake accepts. */
  secretKey: string;
  state: FakeStripeState;
  requests: FakeStripeRequest[];
  /** The fake's clock (Unix seconds); tests set it to the scenario's time. */
  clock: { now: number };
  /**
   * The next `times` calls (of `operation` only, when given) fail with `fault`. 429 carries
   * `Retry-After: retryAfter` (default 1). `lost_response` carries the request out and then destroys
   * the socket, as when a response is lost after Stripe acted.
   */
  failNext(
    fault: FakeStripeFault,
    options?: { times?: number; operation?: string; retryAfter?: number },
  ): void;
  /** Invoices and charges as Stripe's billing engine would have made them (see seed.ts). */
  insertInvoice(invoice: Partial<FakeInvoice> & Pick<FakeInvoice, 'customer' | 'total'>): FakeInvoice;
  insertCharge(charge: Partial<FakeCharge> & Pick<FakeCharge, 'customer' | 'amount'>): FakeCharge;
  customer(id: string): FakeCustomer;
  /** Forgets every object, stored idempotent answer, queued fault and recorded request (a fresh account). */
  reset(): void;
  close(): Promise<void>;
}

const routes: Array<{ method: string; pattern: RegExp; key: string; operation: string }> = [
  ['POST', '/v1/customers', 'customers.create'],
  ['GET', '/v1/customers', 'customers.list'],
  ['GET', '/v1/customers/search', 'customers.search'],
  ['GET', '/v1/customers/:id', 'customers.retrieve'],
  ['POST', '/v1/products', 'products.create'],
  ['POST', '/v1/prices', 'prices.create'],
  ['GET', '/v1/prices', 'prices.list'],
  ['GET', '/v1/prices/:id', 'prices.retrieve'],
  ['POST', '/v1/subscriptions', 'subscriptions.create'],
  ['GET', '/v1/subscriptions', 'subscriptions.list'],
  ['GET', '/v1/subscriptions/:id', 'subscriptions.retrieve'],
  ['POST', '/v1/subscriptions/:id', 'subscriptions.update'],
  ['DELETE', '/v1/subscriptions/:id', 'subscriptions.cancel'],
  ['GET', '/v1/invoices', 'invoices.list'],
  ['GET', '/v1/invoices/search', 'invoices.search'],
  ['POST', '/v1/invoices/create_preview', 'invoices.createPreview'],
  ['GET', '/v1/invoices/:id', 'invoices.retrieve'],
  ['POST', '/v1/invoices/:id/pay', 'invoices.pay'],
  ['GET', '/v1/invoice_payments', 'invoicePayments.list'],
  ['GET', '/v1/charges', 'charges.list'],
  ['GET', '/v1/charges/:id', 'charges.retrieve'],
  ['GET', '/v1/refunds', 'refunds.list'],
  ['POST', '/v1/refunds', 'refunds.create'],
  ['POST', '/v1/billing_portal/sessions', 'billingPortal.sessions.create'],
].map(([method, path, operation]) => ({
  method: method!,
  key: `${method} ${path}`,
  operation: operation!,
  pattern: new RegExp(`^${path!.replace(':id', '([^/]+)')}$`),
}));

const errorBody = (problem: StripeProblem, requestId: string) => ({
  error: {
    type: problem.type,
    message: problem.message,
    ...(problem.code
      ? {
          code: problem.code,
          doc_url: `https://docs.stripe.com/error-codes/${problem.code.replaceAll('_', '-')}`,
        }
      : {}),
    ...(problem.param ? { param: problem.param } : {}),
    ...problem.extra,
    request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}`,
  },
});

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the fake on an ephemeral port of 127.0.0.1. */
export async function startFakeStripe(
  options: { secretKey?: string; now?: number } = {},
): Promise<FakeStripe> {
  const secretKey = options.secretKey ?? `sk_test_${randomBytes(12).toString('hex')}`;
  const clock = { now: options.now ?? Math.floor(Date.now() / 1000) };
  const state: FakeStripeState = {
    customers: new Map(),
    products: new Map(),
    prices: new Map(),
    subscriptions: new Map(),
    invoices: new Map(),
    charges: new Map(),
    refunds: new Map(),
    portalSessions: new Map(),
  };
  const handlers = createHandlers(state, () => clock.now) as Record<
    string,
    (params: Record<string, FormValue>, id: string) => unknown
  >;
  const requests: FakeStripeRequest[] = [];
  const faults: Array<{ fault: FakeStripeFault; operation?: string; retryAfter: number }> = [];
  const stored = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const sockets = new Set<Socket>();

  function send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): void {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const requestId = `req_${randomBytes(7).toString('hex')}`;
    const stripeVersion = request.headers['stripe-version'] as string | undefined;
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    const headers: Record<string, string> = {
      'request-id': requestId,
      'stripe-version': stripeVersion ?? '2026-11-18.endive',
    };
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const text = await readBody(request);
    const route = routes.find(
      (candidate) => candidate.method === method && candidate.pattern.test(url.pathname),
    );
    const record: FakeStripeRequest = {
      method,
      path: url.pathname,
      operation: route?.operation ?? 'unknown',
      params: {},
      status: 0,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(stripeVersion ? { stripeVersion } : {}),
    };
    requests.push(record);
    const answer = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      record.status = status;
      send(response, status, body, { ...headers, ...extra });
    };
    const faultIndex = faults.findIndex(
      (queued) => !queued.operation || queued.operation === record.operation,
    );
    const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0] : undefined;
    try {
      if (fault?.fault === 'hang') return; // never answers: the client's timeout decides
      if (fault && typeof fault.fault === 'number') {
        const status = fault.fault;
        const problem =
          status === 401
            ? new StripeProblem(401, 'invalid_request_error', 'Invalid API Key provided: sk_test_********')
            : status === 429
              ? new StripeProblem(429, 'invalid_request_error', 'Request rate limit exceeded.', 'rate_limit')
              : new StripeProblem(status, 'api_error', 'Sorry, something went wrong.');
        return answer(
          status,
          errorBody(problem, requestId),
          status === 429 ? { 'retry-after': String(fault.retryAfter) } : {},
        );
      }
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!token)
        throw new StripeProblem(
          401,
          'invalid_request_error',
          'You did not provide an API key. Provide it in the Authorization header as a Bearer token.',
        );
      if (token !== secretKey)
        throw new StripeProblem(
          401,
          'invalid_request_error',
          `Invalid API Key provided: ${token.slice(0, 8)}********${token.slice(-4)}`,
        );
      if (stripeVersion !== undefined && !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(stripeVersion)) {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          `Invalid Stripe API version: ${stripeVersion}`,
          'api_version_invalid',
        );
      }
      if (!route)
        throw new StripeProblem(
          404,
          'invalid_request_error',
          `Unrecognized request URL (${method}: ${url.pathname}).`,
        );
      if (
        method === 'POST' &&
        text !== '' &&
        !(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ) {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          'Invalid request: the body must be application/x-www-form-urlencoded.',
        );
      }
      let params: Record<string, FormValue>;
      try {
        params = parseForm(method === 'POST' ? text : url.search.slice(1));
      } catch (error) {
        throw new StripeProblem(400, 'invalid_request_error', (error as Error).message);
      }
      record.params = params;
      // Idempotency (https://docs.stripe.com/api/idempotent_requests): POST only; a key is bound to its parameters.
      const fingerprint = createHash('sha256')
        .update(`${method} ${url.pathname} ${JSON.stringify(params)}`)
        .digest('hex');
      const useKey = method === 'POST' && idempotencyKey !== undefined;
      const earlier = useKey ? stored.get(idempotencyKey) : undefined;
      if (earlier && earlier.fingerprint !== fingerprint) {
        throw new StripeProblem(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        );
      }
      if (earlier) {
        if (fault?.fault === 'lost_response') return void request.socket.destroy();
        return answer(earlier.status, earlier.body, { 'idempotent-replayed': 'true' });
      }
      const id = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '');
      let status = 200;
      let body: unknown;
      try {
        body = handlers[route.key]!(params, id);
      } catch (error) {
        // Stripe saves the result once the endpoint started executing, failures included (not 5xx here).
        if (!(error instanceof StripeProblem) || !useKey || error.status === 400) throw error;
        status = error.status;
        body = errorBody(error, requestId);
      }
      if (useKey) stored.set(idempotencyKey, { fingerprint, status, body });
      if (fault?.fault === 'lost_response') return void request.socket.destroy();
      if (fault?.fault === 'malformed') {
        record.status = 200;
        response.writeHead(200, { 'content-type': 'application/json', ...headers });
        return void response.end('{"id": "ch_');
      }
      return answer(status, body);
    } catch (error) {
      if (!(error instanceof StripeProblem)) throw error;
      answer(error.status, errorBody(error, requestId));
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, 500, { error: { type: 'api_error', message: (error as Error).message } }, {});
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const required = <T>(map: Map<string, T>, kind: string, id: string) => {
    const found = map.get(id);
    if (!found) throw new Error(`the fake has no ${kind} ${id}`);
    return found;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    state,
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
    insertInvoice(input) {
      required(state.customers, 'customer', input.customer);
      const invoice: FakeInvoice = {
        id: `in_${randomBytes(12).toString('hex')}`,
        number: null,
        subscription: null,
        status: 'paid',
        currency: 'usd',
        created: clock.now,
        due_date: null,
        description: null,
        attempt_count: 0,
        next_payment_attempt: null,
        finalized_at: input.created ?? clock.now,
        lines: [],
        payments: [],
        ...input,
      };
      state.invoices.set(invoice.id, invoice);
      return invoice;
    },
    insertCharge(input) {
      required(state.customers, 'customer', input.customer);
      const charge: FakeCharge = {
        id: `ch_${randomBytes(12).toString('hex')}`,
        amount_refunded: 0,
        currency: 'usd',
        created: clock.now,
        status: 'succeeded',
        payment_intent: `pi_${randomBytes(12).toString('hex')}`,
        failure_code: null,
        failure_message: null,
        outcome_reason: null,
        last4: '4242',
        ...input,
      };
      state.charges.set(charge.id, charge);
      return charge;
    },
    customer: (id) => required(state.customers, 'customer', id),
    reset() {
      for (const map of Object.values(state)) map.clear();
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
