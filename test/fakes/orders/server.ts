import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake order system (a real HTTP server) answering as `openapi.yaml` beside it describes: an API key
 * in `X-Api-Key` (401 without it), orders per customer email, and a cancel that needs an
 * `Idempotency-Key` (the same key with the same body replays the first answer with
 * `Idempotent-Replayed: true`; with another body it is 409). It can fail on demand.
 */
export interface FakeOrder {
  id: string;
  status: 'placed' | 'shipped' | 'delivered' | 'cancelled';
  total_cents: number;
  placed_at: string;
  customer_email: string;
  tracking_number: string | null;
  internal_margin_cents: number;
  shipping_address: { line1: string; city: string; postcode: string };
}

export type FakeFailure =
  | { kind: 'status'; status: number; retryAfter?: string; times: number }
  /** Answers 200 with `total_cents` as a string: a body its schema does not allow. */
  | { kind: 'malformed'; times: number }
  /** Applies the cancel, then answers 503 (the answer is lost). */
  | { kind: 'applied_then_503'; times: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  at: number;
}

export interface FakeOrders {
  /** `http://127.0.0.1:<port>/v1` */
  url: string;
  apiKey: string;
  orders: Map<string, FakeOrder>;
  requests: RecordedRequest[];
  /** How many times an order was really cancelled (an effect), by id. */
  cancellations: Map<string, number>;
  /** The next requests matching `path` (a prefix after /v1) fail this way. */
  fail(path: string, failure: FakeFailure): void;
  /** The OpenAPI document with this server's port as the default server (also served at /openapi.yaml). */
  document(): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeOrders(options: { apiKey?: string } = {}): Promise<FakeOrders> {
  const apiKey = options.apiKey ?? 'ak_test_orders_0123456789';
  const orders = new Map<string, FakeOrder>();
  const requests: RecordedRequest[] = [];
  const cancellations = new Map<string, number>();
  const failures: Array<{ path: string; failure: FakeFailure }> = [];
  const keys = new Map<string, { body: string; status: number; answer: unknown }>();

  const send = (
    response: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(request.url ?? '/', 'http://fake');
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        return send(response, 400, { error: 'body is not JSON' });
      }
      requests.push({
        method: request.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        headers: request.headers,
        body,
        at: Date.now(),
      });
      if (url.pathname === '/openapi.yaml') {
        void documentText().then((text) => {
          response.writeHead(200, { 'content-type': 'application/yaml' });
          response.end(text);
        });
        return;
      }
      if (!url.pathname.startsWith('/v1/')) return send(response, 404, { error: 'not found' });
      if (request.headers['x-api-key'] !== apiKey)
        return send(response, 401, { error: 'missing or wrong API key' });
      const path = url.pathname.slice(3);
      const pending = failures.find((entry) => path.startsWith(entry.path) && entry.failure.times > 0);
      if (pending) pending.failure.times -= 1;
      const failure = pending?.failure;
      if (failure?.kind === 'status')
        return send(
          response,
          failure.status,
          { error: `failing on demand (${failure.status})` },
          failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
        );

      const email = url.searchParams.get('customer_email');
      const single = /^\/orders\/([^/]+)$/.exec(path);
      const cancel = /^\/orders\/([^/]+)\/cancel$/.exec(path);
      if (request.method === 'GET' && path === '/orders') {
        if (!email) return send(response, 400, { error: 'customer_email is required' });
        const status = url.searchParams.get('status');
        const found = [...orders.values()]
          .filter((order) => order.customer_email.toLowerCase() === email.toLowerCase())
          .filter((order) => !status || order.status === status)
          .sort((a, b) => b.placed_at.localeCompare(a.placed_at));
        if (failure?.kind === 'malformed')
          return send(response, 200, {
            orders: found.map((order) => ({ ...order, total_cents: String(order.total_cents) })),
          });
        return send(response, 200, { orders: found });
      }
      if (request.method === 'GET' && single) {
        const order = orders.get(decodeURIComponent(single[1]!));
        if (!order || !email || order.customer_email.toLowerCase() !== email.toLowerCase())
          return send(response, 404, { error: 'no such order' });
        if (failure?.kind === 'malformed')
          return send(response, 200, { ...order, total_cents: String(order.total_cents) });
        return send(response, 200, order);
      }
      if (request.method === 'POST' && cancel) {
        const key = request.headers['idempotency-key'];
        if (typeof key !== 'string' || !key)
          return send(response, 400, { error: 'Idempotency-Key is required' });
        const previous = keys.get(key);
        if (previous) {
          if (previous.body !== raw)
            return send(response, 409, { error: 'the idempotency key was used with another request' });
          return send(response, previous.status, previous.answer, { 'idempotent-replayed': 'true' });
        }
        const order = orders.get(decodeURIComponent(cancel[1]!));
        const input = body as { customer_email?: string } | null;
        if (
          !order ||
          order.customer_email.toLowerCase() !== String(input?.customer_email ?? '').toLowerCase()
        )
          return send(response, 404, { error: 'no such order' });
        if (order.status !== 'placed') return send(response, 409, { error: `the order is ${order.status}` });
        order.status = 'cancelled';
        cancellations.set(order.id, (cancellations.get(order.id) ?? 0) + 1);
        const answer = {
          id: order.id,
          status: 'cancelled',
          refund_cents: order.total_cents,
          cancelled_at: new Date().toISOString(),
        };
        keys.set(key, { body: raw, status: 200, answer });
        if (failure?.kind === 'applied_then_503')
          return send(response, 503, { error: 'the answer was lost' });
        return send(response, 200, answer);
      }
      send(response, 404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  async function documentText() {
    const text = await readFile(new URL('./openapi.yaml', import.meta.url), 'utf8');
    return text.replace("default: '8080'", `default: '${port}'`);
  }
  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    orders,
    requests,
    cancellations,
    fail(path, failure) {
      failures.push({ path, failure });
    },
    document: documentText,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
