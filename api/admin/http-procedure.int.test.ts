import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { type FakeOrder, type FakeOrders, startFakeOrders } from '../../test/fakes/orders/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { verifiedChat } from '../../test/support/verified-chat.ts';

/**
 * Issue #18 "done when", through the API alone: an admin connects an HTTP system from its OpenAPI
 * document, writes a declarative procedure over it, and a verified customer completes it in chat —
 * the customer's email reaching the order system from the verified session, never from the chat.
 */

let api: TestApi;
let admin: Awaited<ReturnType<typeof loginAs>>;
let orders: FakeOrders;
const maya = demoCustomers.duplicateCharge;
const daniel = demoCustomers.anotherCompany;

const order = (id: string, email: string, status: FakeOrder['status']): FakeOrder => ({
  id,
  status,
  total_cents: 12950,
  placed_at: '2026-11-28T09:00:00Z',
  customer_email: email,
  tracking_number: status === 'placed' ? null : '1Z-TRACK-7',
  internal_margin_cents: 3100,
  shipping_address: { line1: '1 Main St', city: 'Lyon', postcode: '69001' },
});

const asAdmin = (options: InjectOptions) =>
  api.app.inject({
    ...options,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
  });

/** The procedure a support team writes over the imported connector (varied phrasings, as docs/procedures.md asks). */
const orderStatusYaml = `title: the status of an order
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
  - what's the tracking number of my order
slots:
  order_id:
    type: id
    pattern: 'ord_\\d+'
    ask: Which order is it? The number looks like ord_123.
steps:
  - read: acme_orders.get_order
    as: order
    input: { order_id: '{{ slots.order_id }}' }
  - reply: >-
      Order {{ steps.order.id }} is {{ steps.order.status }}
      (total {{ steps.order.total_cents | money }}, tracking {{ steps.order.tracking_number }}).
`;

beforeAll(async () => {
  orders = await startFakeOrders();
  orders.orders.set('ord_501', order('ord_501', maya.email, 'shipped'));
  orders.orders.set('ord_777', order('ord_777', daniel.email, 'placed'));
  // The order system runs on this machine: the configuration allows its address.
  api = await createTestApi({ settings: { customConnectorAllowedHosts: ['127.0.0.1'] } });
  admin = await loginAs(api.app, api.database.pool, 'admin');
}, 180_000);

afterAll(async () => {
  await api?.close();
  await orders?.close();
});

describe('an OpenAPI system and a procedure over it, from the admin API to a customer in chat', () => {
  it('connects the system, teaches the procedure, and the customer gets their own order only', async () => {
    const imported = await asAdmin({
      method: 'POST',
      url: '/api/admin/custom-connectors/http/import',
      payload: { url: `${orders.url.replace('/v1', '')}/openapi.yaml` },
    });
    expect(imported.statusCode).toBe(200);
    const draft = imported.json() as { spec: { operations: Array<Record<string, unknown>> } };
    const getOrder = draft.spec.operations.find((operation) => operation.name === 'get_order')!;
    // The draft guessed the binding from the parameter's name; the admin keeps it and narrows the output.
    expect(getOrder.customer).toEqual({ parameter: 'customer_email', from: 'contactEmail' });
    const saved = await asAdmin({
      method: 'PUT',
      url: '/api/admin/custom-connectors/acme_orders',
      payload: {
        kind: 'http',
        title: 'Acme Orders',
        spec: {
          ...draft.spec,
          operations: [{ ...getOrder, outputFields: ['id', 'status', 'total_cents', 'tracking_number'] }],
        },
      },
    });
    expect(saved.statusCode).toBe(200);
    const key = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/acme_orders/credentials',
      payload: { api_key: orders.apiKey },
    });
    expect(key.statusCode).toBe(200);

    const procedure = await asAdmin({
      method: 'PUT',
      url: '/api/admin/procedures/order_status',
      payload: { source: orderStatusYaml },
    });
    expect(procedure.statusCode).toBe(200);

    // Words that are none of the phrasings (a close paraphrase: the local classifier needs one; see
    // docs/procedures.md on phrasings); then the slot's answer.
    const chat = await verifiedChat(api, maya.email);
    const say = async (text: string) => (await chat(text)).text;
    const asked = await say('Could you check where my order has got to?');
    expect(asked).toMatch(/Which order is it\?/);
    const answered = await say('ord_501');
    expect(answered).toBe('Order ord_501 is shipped (total $129.50, tracking 1Z-TRACK-7).');
    const call = orders.requests.filter((request) => request.path.startsWith('/v1/orders/ord_501')).at(-1)!;
    expect(call.path).toContain(`customer_email=${encodeURIComponent(maya.email)}`);
    expect(call.headers['x-api-key']).toBe(orders.apiKey);

    // Another customer's order number: the order system is asked with Maya's own email (from the
    // session) and refuses; nothing of Daniel's order is shown.
    const other = await say('Where is my order ord_777?');
    const otherCall = orders.requests
      .filter((request) => request.path.startsWith('/v1/orders/ord_777'))
      .at(-1);
    expect(otherCall?.path).toContain(`customer_email=${encodeURIComponent(maya.email)}`);
    expect(other).toMatch(/couldn't find|could not find/i);
    expect(other).not.toMatch(/placed|\$129\.50|1Z-TRACK/);
  });
});
