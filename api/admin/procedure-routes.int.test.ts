import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { saveProcedure } from '../../agent/procedures/declarative/store.ts';
import { defineOperation } from '../../connectors/core/definition.ts';
import { ConnectorError } from '../../connectors/core/errors.ts';
import { controlChannel } from '../../conversations/live-events.ts';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { dataParts } from '../../test/support/ui-stream.ts';
import { verifiedChat } from '../../test/support/verified-chat.ts';

/**
 * Issue #18 item 2, end to end: a team adds "order status" (and "cancel an order") over an order
 * system entirely from the admin API, and verified customers complete them in chat.
 */

let api: TestApi;
let admin: Awaited<ReturnType<typeof loginAs>>;
let orders: Server;
let ordersUrl: string;
const maya = demoCustomers.duplicateCharge;
const daniel = demoCustomers.anotherCompany;

/** A local order system: orders belong to accounts; another account's order is 403. */
const orderRows = new Map([
  [
    'ORD-4417',
    { id: 'ORD-4417', account: maya.account, status: 'shipped', carrier: 'DHL', total_cents: 12950 },
  ],
  [
    'ORD-5120',
    { id: 'ORD-5120', account: maya.account, status: 'processing', carrier: null, total_cents: 4200 },
  ],
  [
    'ORD-9001',
    { id: 'ORD-9001', account: daniel.account, status: 'shipped', carrier: 'UPS', total_cents: 99900 },
  ],
]);
const cancelRequests: string[] = [];

function startOrderService(): Promise<Server> {
  const server = createServer((request, response) => {
    const account = request.headers['x-account'];
    const match = request.url?.match(/^\/orders\/([A-Z0-9-]+)(\/cancel)?$/);
    const order = match ? orderRows.get(match[1]!) : undefined;
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (!order) return send(404, { error: 'no such order' });
    if (order.account !== account) return send(403, { error: 'not your order' });
    if (match![2] && request.method === 'POST') {
      cancelRequests.push(order.id);
      order.status = 'cancelled';
      return send(200, { id: order.id, status: 'cancelled' });
    }
    const { account: _account, ...visible } = order;
    return send(200, visible);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function orderService(path: string, accountId: string, method = 'GET') {
  const response = await fetch(`${ordersUrl}${path}`, { method, headers: { 'x-account': accountId } });
  if (response.status === 403) throw new ConnectorError('forbidden', 'the order belongs to another account');
  if (response.status === 404) throw new ConnectorError('not_found', 'no such order');
  if (!response.ok) throw new ConnectorError('transient', `order service answered ${response.status}`);
  return response.json();
}

/** The order system as a connector registered at run time: the account is bound from the session. */
function orderConnector() {
  const orderInput = z.object({ order_id: z.string().regex(/^ORD-\d+$/), account_id: z.string() });
  return {
    id: 'orders',
    title: 'Order system',
    grantedScopes: ['orders'],
    check: async () => ({ ok: true as const, detail: 'ok' }),
    operations: {
      get_order: defineOperation({
        name: 'get_order',
        description: 'One order of the customer’s account',
        effect: 'read',
        input: orderInput,
        output: z.object({
          id: z.string(),
          status: z.enum(['processing', 'shipped', 'delivered', 'cancelled', 'lost']),
          carrier: z.string().nullable(),
          total_cents: z.number().int(),
        }),
        scopes: ['orders'],
        timeoutMs: 2000,
        customerKey: { field: 'account_id', from: 'accountId' },
        run: (input) => orderService(`/orders/${input.order_id}`, input.account_id),
      }),
      cancel_order: defineOperation({
        name: 'cancel_order',
        description: 'Cancels an order that has not shipped',
        effect: 'write',
        input: orderInput,
        output: z.object({ id: z.string(), status: z.literal('cancelled') }),
        scopes: ['orders'],
        timeoutMs: 2000,
        customerKey: { field: 'account_id', from: 'accountId' },
        idempotencyKey: (input) => `cancel:${input.order_id}`,
        run: (input) => orderService(`/orders/${input.order_id}/cancel`, input.account_id, 'POST'),
      }),
    },
  };
}

const orderStatusYaml = `# Where is my order? (teams write these; comments are kept)
title: the status of an order
phrasings:
  - where is my order
  - has my package shipped yet
  - track my delivery
  - is my order on its way
  - when will my order arrive
  - what is the status of my order
  - has my parcel left the warehouse
  - my package still has not arrived
  - when does my shipment get here
  - which carrier is delivering my order
slots:
  order_id:
    type: id
    pattern: 'ORD-\\d{3,}'
    ask: Which order is it? The number looks like ORD-1234.
steps:
  - read: orders.get_order
    as: order
    input: { order_id: '{{ slots.order_id }}' }
  - reply: >-
      Order {{ steps.order.id }} is {{ steps.order.status }}
      (total {{ steps.order.total_cents | money }}, carrier {{ steps.order.carrier }}).
escalate:
  - when: { field: steps.order.status, equals: lost }
    reason: connector_failure
    priority: high
    say: Your order {{ steps.order.id }} seems lost in transit; a colleague will sort it out with you.
`;

const cancelOrderYaml = `title: cancelling an order
phrasings:
  - please cancel my order
  - I want to cancel the order I placed
  - stop my order, I no longer need it
  - cancel my purchase before it ships
  - I ordered by mistake, please cancel it
  - can you cancel an order for me
  - I don't want the order anymore
  - withdraw my order
slots:
  order_id:
    type: id
    pattern: 'ORD-\\d{3,}'
    ask: Which order should I cancel?
steps:
  - read: orders.get_order
    as: order
    input: { order_id: '{{ slots.order_id }}' }
  - confirm: Shall I cancel order {{ steps.order.id }} ({{ steps.order.total_cents | money }})?
  - write: orders.cancel_order
    as: cancelled
    input: { order_id: '{{ slots.order_id }}' }
    label: cancel order {{ slots.order_id }}
  - reply: Done — order {{ steps.cancelled.id }} is {{ steps.cancelled.status }}.
escalate:
  - when: { field: steps.order.status, in: [shipped, delivered] }
    reason: policy_requires_human
    say: Order {{ steps.order.id }} has already shipped, so a colleague will help you with a return.
`;

function asAdmin(options: InjectOptions) {
  return api.app.inject({
    ...options,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
  });
}

const save = (id: string, source: string) =>
  asAdmin({ method: 'PUT', url: `/api/admin/procedures/${id}`, payload: { source } });

beforeAll(async () => {
  orders = await startOrderService();
  ordersUrl = `http://127.0.0.1:${(orders.address() as AddressInfo).port}`;
  api = await createTestApi();
  admin = await loginAs(api.app, api.database.pool, 'admin');
  api.context.switchboard.gateway.registerConnector(orderConnector());
}, 180_000);

afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => orders?.close(resolve));
});

describe('declarative procedures through the admin API', () => {
  it('refuses invalid YAML with a 400 naming the path, and stores nothing', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'an unknown operation',
        orderStatusYaml.replace('orders.get_order', 'orders.get_ordr'),
        /^steps\.0\.read: orders has no operation "get_ordr"/,
      ],
      [
        'a template field no step returns',
        orderStatusYaml.replace('{{ steps.order.carrier }}', '{{ steps.order.eta }}'),
        /^steps\.1\.reply: \{\{ steps\.order\.eta \}\}: step "order" returns no field "eta"/,
      ],
      [
        'a bad slot type',
        orderStatusYaml.replace('type: id', 'type: identifier'),
        /^slots\.order_id\.type: /,
      ],
      [
        'a write without a confirmation',
        cancelOrderYaml.replace(/ {2}- confirm: .*\n/, ''),
        /^steps\.1\.write: a write needs a confirm step before it/,
      ],
      [
        'a read used as a write',
        cancelOrderYaml.replace('write: orders.cancel_order', 'write: orders.get_order'),
        /^steps\.2\.write: orders\.get_order is a read/,
      ],
      ['broken YAML', 'title: [unclosed', /^\(yaml\) line 1/],
      [
        'a phrasing that would take over a built-in intent',
        orderStatusYaml.replace('track my delivery', 'I want a refund'),
        /^phrasings\.2: reads as the built-in intent billing\.refund_request/,
      ],
    ];
    for (const [what, source, message] of cases) {
      const response = await save('order_status', source);
      expect(response.statusCode, what).toBe(400);
      expect(response.json().error.message, what).toMatch(message);
    }
    const list = await asAdmin({ method: 'GET', url: '/api/admin/procedures' });
    expect(list.json().procedures).toEqual([]);
  });

  it('saves a valid procedure as version 1 and loads it', async () => {
    const response = await save('order_status', orderStatusYaml);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: 'order_status',
      intent: 'custom.order_status',
      title: 'the status of an order',
      version: 1,
      enabled: true,
      state: 'loaded',
      source: orderStatusYaml,
    });
    expect((await save('cancel_order', cancelOrderYaml)).statusCode).toBe(200);
  });

  it('answers a verified customer from the read, asking for the order id first', async () => {
    const say = await verifiedChat(api, maya.email);
    // Words that are not among the procedure's phrasings.
    const first = await say('where is the stuff I ordered last week?');
    expect(dataParts(first.chunks, 'slot-request')[0]?.data).toMatchObject({ slot: 'custom.order_id' });
    expect(first.text).toContain('Which order is it?');
    const second = await say('it is ORD-4417');
    expect(second.text).toBe('Order ORD-4417 is shipped (total $129.50, carrier DHL).');
  });

  it("does not show another customer's order", async () => {
    const say = await verifiedChat(api, maya.email);
    const reply = await say('what happened to order ORD-9001?');
    expect(reply.text).not.toContain('UPS');
    expect(reply.text).not.toContain('999');
    expect(reply.text).toMatch(/couldn't find that on your account/i);
  });

  it('asks before a write, runs it once on yes, and replies from its output', async () => {
    const say = await verifiedChat(api, maya.email);
    const asked = await say('I would like to call off order ORD-5120, please');
    expect(asked.text).toBe('Shall I cancel order ORD-5120 ($42.00)?');
    expect(dataParts(asked.chunks, 'confirmation')).toHaveLength(1);
    expect(cancelRequests).toEqual([]);
    const done = await say('yes please');
    expect(done.text).toBe('Done — order ORD-5120 is cancelled.');
    expect(cancelRequests).toEqual(['ORD-5120']);
  });

  it('hands over by its escalation rule', async () => {
    const say = await verifiedChat(api, maya.email);
    const reply = await say('I would like to call off order ORD-4417, please');
    expect(reply.text).toBe(
      'Order ORD-4417 has already shipped, so a colleague will help you with a return.',
    );
    expect(dataParts(reply.chunks, 'escalation')[0]?.data).toMatchObject({ reason: 'policy_requires_human' });
    expect(cancelRequests).toEqual(['ORD-5120']);
  });

  it('reloads when another process announces a change on the control channel', async () => {
    // As another API or worker process would: stored there, then announced.
    await saveProcedure(
      api.database.pool,
      { id: 'order_status_copy', title: 'a copy', source: orderStatusYaml },
      'elsewhere',
    );
    expect(api.context.switchboard.procedures.states().map((state) => state.id)).not.toContain(
      'order_status_copy',
    );
    await api.context.bus.publish(controlChannel, {
      kind: 'procedures',
      procedureId: 'order_status_copy',
      origin: 'another-process',
    });
    await expect
      .poll(() => api.context.switchboard.procedures.states().map((state) => state.id))
      .toContain('order_status_copy');
    await asAdmin({ method: 'DELETE', url: '/api/admin/procedures/order_status_copy' });
  });

  it('keeps versions, switches off and deletes', async () => {
    const edited = orderStatusYaml.replace('track my delivery', 'follow my shipment');
    // The YAML itself as the body works too (curl --data-binary @order-status.yaml).
    const raw = await asAdmin({
      method: 'PUT',
      url: '/api/admin/procedures/order_status',
      headers: { 'content-type': 'application/yaml' },
      payload: edited,
    });
    expect(raw.json()).toMatchObject({ version: 2, source: edited });
    const versions = await asAdmin({ method: 'GET', url: '/api/admin/procedures/order_status/versions' });
    expect(versions.json().versions.map((version: { version: number }) => version.version)).toEqual([2, 1]);

    const off = await asAdmin({
      method: 'PUT',
      url: '/api/admin/procedures/order_status/enabled',
      payload: { enabled: false },
    });
    expect(off.json()).toMatchObject({ enabled: false, state: 'disabled' });
    expect(api.context.switchboard.procedures.states().map((state) => state.id)).toEqual(['cancel_order']);

    const deleted = await asAdmin({ method: 'DELETE', url: '/api/admin/procedures/order_status' });
    expect(deleted.json()).toEqual({ deleted: true });
    const list = await asAdmin({ method: 'GET', url: '/api/admin/procedures' });
    expect(list.json().procedures.map((procedure: { id: string }) => procedure.id)).toEqual(['cancel_order']);
  });
});
