import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { CallerSession } from '../../connectors/core/definition.ts';
import { customConnectorBuilders } from '../../connectors/custom/kinds.ts';
import { saveCustomConnector } from '../../connectors/custom/store.ts';
import { type FakeOrders, startFakeOrders } from '../../test/fakes/orders/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';

let api: TestApi;
let fake: FakeOrders;
let admin: Awaited<ReturnType<typeof loginAs>>;
let customer: CallerSession;
let customerEmail: string;
let otherEmail: string;
let contactId: string;

const connectorId = 'acme_orders';

function asAdmin(options: InjectOptions) {
  return api.app.inject({
    ...options,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
  });
}

const call = (operation: string, input: Record<string, unknown>, session: CallerSession = customer) =>
  api.context.switchboard.gateway.callByName(session, connectorId, operation, input);

const requestsTo = (path: string) => fake.requests.filter((request) => request.path.startsWith(`/v1${path}`));

const order = (id: string, email: string, status: 'placed' | 'shipped' = 'placed') => ({
  id,
  status,
  total_cents: 4200,
  placed_at: `2026-11-0${id.slice(-1)}T10:00:00Z`,
  customer_email: email,
  tracking_number: null,
  internal_margin_cents: 1300,
  shipping_address: { line1: '1 Main St', city: 'Lyon', postcode: '69001' },
});

const importDocument = async (body: Record<string, unknown>) =>
  asAdmin({ method: 'POST', url: '/api/admin/custom-connectors/http/import', payload: body });

const storedCount = async () =>
  (await asAdmin({ method: 'GET', url: '/api/admin/custom-connectors' })).json().connectors.length as number;

beforeAll(async () => {
  api = await createTestApi({ settings: { customConnectorAllowedHosts: ['127.0.0.1'] } });
  admin = await loginAs(api.app, api.database.pool, 'admin');
  const { rows } = await api.database.pool.query<{ id: string; account_id: string; email: string }>(
    `SELECT id, account_id, email FROM contacts WHERE email IS NOT NULL ORDER BY account_id, id`,
  );
  const first = rows[0]!;
  const other = rows.find((row) => row.account_id !== first.account_id)!;
  contactId = first.id;
  customerEmail = first.email;
  otherEmail = other.email;
  customer = {
    conversationId: 'conv_http_1',
    actor: 'agent',
    customer: { contactId: first.id, accountId: first.account_id, verified: true },
  };
  fake = await startFakeOrders();
  for (const entry of [
    order('ord_1', customerEmail),
    order('ord_2', customerEmail),
    order('ord_3', otherEmail),
  ])
    fake.orders.set(entry.id, entry);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await fake?.close();
});

describe('an HTTP connector from an OpenAPI document, through the admin API and the pipeline', () => {
  let draft: {
    title: string;
    spec: Record<string, unknown>;
    operations: Array<{ name: string }>;
    warnings: string[];
  };

  it('imports the document into a dereferenced draft, storing nothing', async () => {
    const response = await importDocument({ document: await fake.document() });
    expect(response.statusCode).toBe(200);
    draft = response.json();
    expect(draft.title).toBe('Acme Orders');
    expect(draft.operations.map((operation) => operation.name)).toEqual([
      'list_orders',
      'get_order',
      'cancel_order',
    ]);
    expect(draft.spec.baseUrl).toBe(fake.url);
    expect(draft.spec.auth).toEqual({ type: 'api_key', header: 'X-Api-Key' });
    expect(JSON.stringify(draft.spec)).not.toContain('$ref');
    const operations = draft.spec.operations as Array<Record<string, unknown>>;
    expect(operations[2]).toMatchObject({
      effect: 'write',
      customer: { parameter: 'customer_email', from: 'contactEmail' },
      idempotency: { header: 'Idempotency-Key' },
    });
    expect(await storedCount()).toBe(0);
  });

  it('imports from a URL on an allowed address, and refuses another loopback address that is not allowed', async () => {
    const allowed = await importDocument({ url: `${fake.url.replace('/v1', '')}/openapi.yaml` });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().operations).toHaveLength(3);
    const before = fake.requests.length;
    const refused = await importDocument({
      url: `${fake.url.replace('127.0.0.1', '127.0.0.2').replace('/v1', '')}/openapi.yaml`,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details).toEqual({ path: 'url' });
    expect(refused.json().error.message).toMatch(
      /127\.0\.0\.2, a private, loopback or link-local address not on the allow-list \(CUSTOM_CONNECTOR_ALLOWED_HOSTS\)/,
    );
    expect(fake.requests.length).toBe(before);
  });

  it('answers 400 naming the path of a malformed document, and stores nothing', async () => {
    const document = parseYaml(await fake.document());
    document.paths['/orders'].get.responses = 'nope';
    const malformed = await importDocument({ document: JSON.stringify(document) });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.details.path).toBe('#/paths/~1orders/get/responses');
    const yaml = await importDocument({ document: 'openapi: 3.0.3\ninfo: [unclosed\n' });
    expect(yaml.statusCode).toBe(400);
    expect(yaml.json().error.details.path).toMatch(/^line \d+, column \d+$/);
    expect(await storedCount()).toBe(0);
  });

  it('refuses an external $ref without following it', async () => {
    const before = fake.requests.length;
    const text = (await fake.document()).replace(
      "shipping_address: { $ref: '#/components/schemas/Address' }",
      `shipping_address: { $ref: '${fake.url}/evil.yaml#/Address' }`,
    );
    const response = await importDocument({ document: text });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details.path).toBe(
      '#/components/schemas/Order/properties/shipping_address/$ref',
    );
    expect(response.json().error.message).toMatch(/external \$ref/);
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a declaration holding a secret, naming where', async () => {
    const spec = { ...draft.spec, auth: { type: 'api_key', header: 'X-Api-Key', value: fake.apiKey } };
    const response = await asAdmin({
      method: 'PUT',
      url: `/api/admin/custom-connectors/${connectorId}`,
      payload: { kind: 'http', title: 'Acme Orders', spec },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/spec: auth/);
    expect(await storedCount()).toBe(0);
  });

  it('saves the completed draft; calls fail as auth_expired until the API key is in the vault', async () => {
    const operations = (draft.spec.operations as Array<Record<string, unknown>>).map((operation) => {
      if (operation.name === 'list_orders')
        return { ...operation, outputFields: ['orders[].id', 'orders[].status', 'orders[].total_cents'] };
      if (operation.name === 'get_order')
        return { ...operation, outputFields: ['id', 'status', 'total_cents', 'tracking_number'] };
      return {
        ...operation,
        idempotency: { key: 'order-cancel:{order_id}', header: 'Idempotency-Key' },
        outputFields: ['id', 'status', 'refund_cents'],
      };
    });
    const saved = await asAdmin({
      method: 'PUT',
      url: `/api/admin/custom-connectors/${connectorId}`,
      payload: { kind: 'http', title: 'Acme Orders', spec: { ...draft.spec, operations } },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({ state: 'running', version: 1 });
    expect(saved.json().operations).toHaveLength(3);

    const before = await call('list_orders', {});
    expect(before).toMatchObject({ status: 'error', error: { kind: 'auth_expired' } });

    const credentials = await asAdmin({
      method: 'PUT',
      url: `/api/admin/connectors/${connectorId}/credentials`,
      payload: { api_key: fake.apiKey },
    });
    expect(credentials.statusCode).toBe(200);
  });

  it('binds customer_email from the session and lets only allow-listed fields out', async () => {
    const result = await call('list_orders', {});
    expect(result.status).toBe('ok');
    const data = (result as { data: { orders: Array<Record<string, unknown>> } }).data;
    expect(data.orders.map((entry) => entry.id)).toEqual(['ord_2', 'ord_1']);
    expect(data.orders[0]).toEqual({ id: 'ord_2', status: 'placed', total_cents: 4200 });
    const sent = requestsTo('/orders?').at(-1)!;
    expect(new URL(sent.path, 'http://x').searchParams.get('customer_email')).toBe(customerEmail);
    expect(sent.headers['x-api-key']).toBe(fake.apiKey);
  });

  it('refuses an input naming another customer (forbidden), without calling the system', async () => {
    const before = fake.requests.length;
    const result = await call('list_orders', { customer_email: otherEmail });
    expect(result).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    expect(fake.requests.length).toBe(before);
    // Another customer's order id: the system is asked with the session's own email, and says 404.
    const foreign = await call('get_order', { order_id: 'ord_3' });
    expect(foreign).toMatchObject({ status: 'error', error: { kind: 'not_found' } });
  });

  it('runs a write once under its idempotency key, even when the first answer is lost', async () => {
    fake.fail('/orders/ord_2/cancel', { kind: 'applied_then_503', times: 1 });
    const first = await call('cancel_order', { order_id: 'ord_2', reason: 'changed my mind' });
    expect(first).toMatchObject({
      status: 'ok',
      data: { id: 'ord_2', status: 'cancelled', refund_cents: 4200 },
    });
    expect((first as { data: Record<string, unknown> }).data).not.toHaveProperty('cancelled_at');
    const attempts = requestsTo('/orders/ord_2/cancel');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.headers['idempotency-key']).toBe(attempts[1]!.headers['idempotency-key']);
    expect(attempts[0]!.headers['idempotency-key']).toContain('order-cancel:ord_2');
    expect(attempts[0]!.body).toEqual({ customer_email: customerEmail, reason: 'changed my mind' });
    expect(fake.cancellations.get('ord_2')).toBe(1);

    const again = await call('cancel_order', { order_id: 'ord_2', reason: 'changed my mind' });
    expect(again).toMatchObject({ status: 'ok', replayed: true });
    expect(requestsTo('/orders/ord_2/cancel')).toHaveLength(2);
  });

  it('turns an answer its schema does not allow into a permanent error, not retried', async () => {
    fake.fail('/orders', { kind: 'malformed', times: 1 });
    const before = requestsTo('/orders?').length;
    const result = await call('list_orders', {});
    expect(result).toMatchObject({ status: 'error', error: { kind: 'permanent', retryable: false } });
    expect((result as { error: { message: string } }).error.message).toMatch(/total_cents/);
    expect(requestsTo('/orders?').length).toBe(before + 1);
  });

  it('retries a 500, then answers transient', async () => {
    fake.fail('/orders', { kind: 'status', status: 500, times: 2 });
    const before = requestsTo('/orders?').length;
    const result = await call('list_orders', {});
    expect(result).toMatchObject({ status: 'error', error: { kind: 'transient', retryable: true } });
    expect(requestsTo('/orders?').length).toBe(before + 2);
    expect((await call('list_orders', {})).status).toBe('ok');
  });

  it('waits as long as a 429 Retry-After asks before asking again', async () => {
    fake.fail('/orders', { kind: 'status', status: 429, retryAfter: '1', times: 1 });
    const before = requestsTo('/orders?').length;
    const result = await call('list_orders', {});
    expect(result.status).toBe('ok');
    const [limited, retried] = requestsTo('/orders?').slice(before);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
  });

  it('refuses an endpoint at a private address that is not allowed: when saved, and when called', async () => {
    const spec = {
      ...draft.spec,
      baseUrl: fake.url.replace('127.0.0.1', '127.0.0.2'),
      operations: [{ ...(draft.spec.operations as Array<Record<string, unknown>>)[1], outputFields: ['id'] }],
    };
    const refused = await asAdmin({
      method: 'PUT',
      url: '/api/admin/custom-connectors/intranet_orders',
      payload: { kind: 'http', title: 'Intranet', spec },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/^spec\.baseUrl: 127\.0\.0\.2 resolves to/);
    // Stored all the same (as if the allow-list had named it when it was saved): every call is still refused.
    await saveCustomConnector(
      api.database.pool,
      customConnectorBuilders,
      { id: 'intranet_orders', kind: 'http', title: 'Intranet', spec },
      'test',
    );
    await api.context.customConnectors.reload();
    await api.context.vault.put('intranet_orders', 'api_key', fake.apiKey);
    const before = fake.requests.length;
    const result = await api.context.switchboard.gateway.callByName(
      customer,
      'intranet_orders',
      'get_order',
      {
        order_id: 'ord_1',
      },
    );
    expect(result).toMatchObject({ status: 'error', error: { kind: 'permanent' } });
    expect((result as { error: { message: string } }).error.message).toMatch(
      /127\.0\.0\.2, a private, loopback or link-local address not on the allow-list \(CUSTOM_CONNECTOR_ALLOWED_HOSTS\)/,
    );
    expect(fake.requests.length).toBe(before);
  });

  it('"Test operation" runs a read for a chosen contact through the gateway, and refuses a write', async () => {
    const response = await asAdmin({
      method: 'POST',
      url: `/api/admin/custom-connectors/${connectorId}/test`,
      payload: { operation: 'get_order', contactId, input: { order_id: 'ord_1' } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().result).toMatchObject({
      status: 'ok',
      data: { id: 'ord_1', status: 'placed', total_cents: 4200, tracking_number: null },
    });
    const write = await asAdmin({
      method: 'POST',
      url: `/api/admin/custom-connectors/${connectorId}/test`,
      payload: { operation: 'cancel_order', contactId, input: { order_id: 'ord_1' } },
    });
    expect(write.statusCode).toBe(400);
  });
});
