import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { startReceiver } from '../../jobs/webhooks/testing/receiver.ts';
import { type FakeOrders, startFakeOrders } from '../fakes/orders/server.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  demoAdmin,
  launchBrowser,
  newContext,
  screenshot,
  screenshotPagesOnFailure,
  signInAsStaff,
  startBrowserTestApi,
} from './support.ts';

const maya = demoCustomers.duplicateCharge;

describe('integrations added from the admin page: an HTTP connector, a webhook', { timeout: 180_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let orders: FakeOrders;

  beforeAll(async () => {
    clearScreenshots('integrations-admin');
    [api, browser, orders] = await Promise.all([
      // The fake order system listens on loopback: the configuration allows that address.
      startBrowserTestApi({
        settings: {
          customConnectorAllowedHosts: ['127.0.0.1'],
          outboundWebhooks: { allowList: ['127.0.0.1'], maxAttempts: 3, backoffMs: 50, timeoutMs: 2_000 },
        },
      }),
      launchBrowser(),
      startFakeOrders(),
    ]);
    orders.orders.set('ord_77', {
      id: 'ord_77',
      status: 'shipped',
      total_cents: 4200,
      placed_at: '2026-11-30T10:00:00Z',
      customer_email: maya.email,
      tracking_number: '1Z999',
      internal_margin_cents: 900,
      shipping_address: { line1: '1 Main St', city: 'Lyon', postcode: '69001' },
    });
  }, 240_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'integrations-admin', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await orders?.close();
  });

  it('imports the OpenAPI document by URL, saves it with its key, and tests a read as a customer', async () => {
    const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin/custom-connectors');
    await signInAsStaff(admin, demoAdmin);
    await admin.getByRole('heading', { name: 'Custom connectors' }).waitFor();

    await admin
      .getByLabel('OpenAPI 3.x document (JSON or YAML) or its URL')
      .fill(`${orders.url.replace('/v1', '')}/openapi.yaml`);
    await admin.getByRole('button', { name: 'Import' }).click();
    await admin.getByLabel('Connector id').fill('acme_orders');
    // Only these fields of an order may reach the agent (the allow-list of the operation's output).
    await admin
      .getByRole('group', { name: /get_order/ })
      .getByLabel(/Output fields/)
      .fill('id, status, total_cents, tracking_number');
    await admin.getByLabel(/^api_key/).fill(orders.apiKey);
    await screenshot(admin, 'integrations-admin', 'draft');
    await admin.getByRole('button', { name: 'Save' }).click();

    const row = admin.getByRole('row').filter({ hasText: 'acme_orders' });
    await row.getByText('running').waitFor();
    await expect(row.textContent()).resolves.toContain('get_order');

    await admin.getByLabel('Operation', { exact: true }).fill('get_order');
    await admin.getByLabel('Test contact id').fill(maya.contact);
    await admin.getByLabel('Input (JSON)').fill('{"order_id": "ord_77"}');
    await admin.getByRole('button', { name: 'Run' }).click();
    const output = admin.locator('pre');
    await output
      .getByText(/ord_77/)
      .first()
      .waitFor();
    const text = (await output.textContent()) ?? '';
    expect(text).toContain('shipped');
    // The customer's email came from the verified session, and the allow-list kept the other fields out.
    expect(text).toContain('1Z999');
    expect(text).not.toContain('internal_margin_cents');
    expect(text).not.toContain('Main St');
    const calls = orders.requests.filter((request) => request.path.startsWith('/v1/orders/ord_77'));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.at(-1)!.path).toContain(encodeURIComponent(maya.email));
    expect(calls.at(-1)!.headers['x-api-key']).toBe(orders.apiKey);
    await screenshot(admin, 'integrations-admin', 'tested');
  });

  it('subscribes an endpoint, shows its secret once, and logs a signed delivery of an escalation', async () => {
    const receiver = await startReceiver();
    try {
      const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
      await admin.goto('/admin/webhooks');
      await signInAsStaff(admin, demoAdmin);
      await admin.getByRole('heading', { name: 'Webhooks' }).waitFor();
      await admin.getByLabel('URL').fill(receiver.url);
      await admin.getByLabel('conversation.escalated').check();
      await admin.getByRole('button', { name: 'Subscribe' }).click();
      const secret = (await admin.getByRole('status').locator('pre').textContent())?.trim() ?? '';
      expect(secret).toMatch(/^whsec_/);
      receiver.verifyWith(secret);
      await admin.getByRole('button', { name: 'I have stored it' }).click();
      await expect(admin.getByText(secret).count()).resolves.toBe(0);

      // An escalation is stored: its trigger records the event, the next sweep delivers it.
      await api.database.pool.query(
        `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status, outcome)
         VALUES ('conv_webhook_ui', 'chat', $1, $2, true, 'escalated', 'escalated')`,
        [maya.contact, maya.account],
      );
      await api.database.pool.query(
        `INSERT INTO escalations (id, conversation_id, reason, packet)
         VALUES ('esc_webhook_ui', 'conv_webhook_ui', 'customer_requested', '{}')`,
      );
      await api.context.jobs.enqueue('webhook.sweep', { reason: 'tick' });
      for (let waited = 0; receiver.received.length === 0 && waited < 15_000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]).toMatchObject({ verified: true, answered: 200 });
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
        type: 'conversation.escalated',
        data: { conversationId: 'conv_webhook_ui', reason: 'customer_requested' },
      });

      await admin.getByRole('button', { name: 'Refresh' }).click();
      const logged = admin.getByRole('row').filter({ hasText: 'conversation.escalated' });
      await logged.getByText('200').waitFor();
      await screenshot(admin, 'integrations-admin', 'webhook-delivered');
    } finally {
      await receiver.close();
    }
  });
});
