import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  conversation,
  demoAdmin,
  demoAgent,
  launchBrowser,
  newContext,
  screenshot,
  screenshotPagesOnFailure,
  sendChatMessage,
  signInAsDemoCustomer,
  signInAsStaff,
  startBrowserTestApi,
  turnTimeoutMs,
} from './support.ts';

// Sorted by contact id, as the escalations are read back.
const customers = [demoCustomers.duplicateCharge, demoCustomers.refundAboveLimit, demoCustomers.enterprise];

describe('a billing outage in a browser', { timeout: 120_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;

  beforeAll(async () => {
    clearScreenshots('outage');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
  }, 180_000);

  /** A customer's own browser: signs in on the demo page and asks about a double charge. */
  async function askAboutDoubleCharge(email: string): Promise<Page> {
    const page = await (await newContext(browser, api.baseUrl)).newPage();
    await page.goto('/');
    await signInAsDemoCustomer(page, email);
    await sendChatMessage(page, 'Hi, I think I was charged twice this month.');
    return page;
  }

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'outage', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('turns billing red on the admin page and hands the customer to a person (connector_failure)', async () => {
    const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin');
    await signInAsStaff(admin, demoAdmin);
    const billingRow = admin
      .getByRole('row')
      .filter({ has: admin.getByRole('rowheader', { name: /billing/i }) });
    await billingRow.waitFor();
    await screenshot(admin, 'outage', 'connectors-before');

    // The admin injects the outage from the connectors page.
    const faults = admin.getByRole('region', { name: 'Fault injection' });
    await faults.getByLabel('Connector').selectOption('billing');
    await faults.getByLabel('Failure').selectOption('error');
    await faults.getByRole('button', { name: 'Inject outage' }).click();
    await faults.getByRole('status').filter({ hasText: 'Armed: billing' }).waitFor();
    await expect(faults.getByRole('list', { name: 'Armed faults' }).textContent()).resolves.toContain(
      'billing.*: error',
    );

    // Three signed-in customers ask about a double charge while billing is down.
    const [customer, ...others] = await Promise.all(customers.map((who) => askAboutDoubleCharge(who.email)));
    for (const page of [customer!, ...others]) {
      await page
        .getByRole('status')
        .filter({ hasText: 'A person will reply here.' })
        .waitFor({ timeout: turnTimeoutMs });
    }
    // The customer is told it went to a person, without the internal reason (checked below in the
    // database: connector_failure).
    await expect(
      conversation(customer!)
        .getByText(/Handed to our support team/)
        .textContent(),
    ).resolves.not.toMatch(/failure|connector/i);
    await screenshot(customer!, 'outage', 'customer-handed-off', 'chat-outage');

    // The connectors page refreshes every 10 s; a reload shows it at once.
    await admin.reload();
    const status = billingRow.locator('.badge');
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toBe('Down');
    // Red, and said in words (colour is never the only signal).
    await expect(status.getAttribute('class')).resolves.toContain('badge-error');
    await screenshot(admin, 'outage', 'connectors-billing-down', 'admin-connectors');

    const { rows } = await api.database.pool.query(
      `SELECT c.contact_id AS contact, e.reason FROM escalations e
         JOIN conversations c ON c.id = e.conversation_id ORDER BY c.contact_id`,
    );
    expect(rows).toEqual(customers.map((who) => ({ contact: who.contact, reason: 'connector_failure' })));
    const { rows: refunds } = await api.database.pool.query(`SELECT count(*)::int AS n FROM refunds`);
    expect(refunds[0].n).toBe(0);
  });
});

describe('finishing a connector_failure hand-off from the console once billing is back', {
  timeout: 120_000,
}, () => {
  const maya = demoCustomers.duplicateCharge;
  let api: BrowserTestApi;
  let browser: Browser;

  beforeAll(async () => {
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
  }, 180_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'outage', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('retries the pending refund: refused while billing fails, done once when it is back', async () => {
    // Only refunds fail (the admin page's outage switch takes a whole connector): the agent finds the
    // duplicate, the customer confirms, and the refund is handed over with the exact pending call.
    api.context.switchboard.faults.arm({
      connector: 'billing',
      operation: 'refund_payment',
      mode: 'error',
      times: 1_000,
    });
    const customer: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await customer.goto('/');
    await signInAsDemoCustomer(customer, maya.email);
    await sendChatMessage(customer, 'Hi, I think I was charged twice this month.');
    const confirm = customer.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor({ timeout: turnTimeoutMs });
    await confirm.click();
    await customer
      .getByRole('status')
      .filter({ hasText: 'A person will reply here.' })
      .waitFor({ timeout: turnTimeoutMs });
    // Promised: a retry once the system is back — what the console can do.
    await conversation(customer)
      .getByText(/retry it as soon as the system is back/)
      .waitFor();

    const agent: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await agent.goto('/console');
    await signInAsStaff(agent, demoAgent);
    await agent.getByRole('link', { name: 'Connector failure' }).click();
    const card = agent.getByRole('form', { name: 'Not done: waiting for a retry' });
    await card.waitFor();
    await card
      .getByLabel('Internal reason (only your team sees this)')
      .fill('INTERNAL: billing status page says green');
    await card.getByLabel('Message to the customer (sent as written)').fill('Sorry for the wait, Maya!');
    await screenshot(agent, 'outage', 'console-retry');

    // Billing still fails: the console says so, the action stays pending, the customer hears nothing new.
    await card.getByRole('button', { name: 'Retry', exact: true }).click();
    await expect(
      card
        .getByRole('alert')
        .filter({ hasText: /^Retry failed: billing\.refund_payment did not complete/ })
        .textContent(),
    ).resolves.toMatch(/the action is still pending/);
    await screenshot(agent, 'outage', 'console-retry-failed');

    // The outage ends: the admin clears the fault on the connectors page.
    const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin');
    await signInAsStaff(admin, demoAdmin);
    const faults = admin.getByRole('region', { name: 'Fault injection' });
    await faults.getByRole('button', { name: 'Clear faults' }).click();
    await faults.getByRole('status').filter({ hasText: 'Every fault cleared.' }).waitFor();

    await card.getByRole('button', { name: 'Retry', exact: true }).click();
    // The customer's page updates live: the agent's own success reply, then the colleague's message.
    await conversation(customer)
      .getByText(/refunded \$99\.00/)
      .waitFor({ timeout: turnTimeoutMs });
    await conversation(customer)
      .getByText('A message from our support team: Sorry for the wait, Maya!')
      .waitFor();
    await expect(customer.content()).resolves.not.toContain('INTERNAL: billing status page says green');
    await screenshot(customer, 'outage', 'customer-refunded-after-retry');
    await card.waitFor({ state: 'detached' });
    // Carrying out the retry and resolving are two steps (docs/product.md): the human who decided
    // keeps the conversation until they press Resolve.
    await agent.getByText('The decision was carried out.').waitFor({ timeout: turnTimeoutMs });
    await agent.getByRole('button', { name: 'Resolve', exact: true }).click();
    await customer.getByText('This conversation is resolved.').waitFor({ timeout: turnTimeoutMs });

    const { rows: refunds } = await api.database.pool.query(
      `SELECT r.amount_cents FROM refunds r JOIN payments p ON p.id = r.payment_id
         JOIN invoices i ON i.id = p.invoice_id WHERE i.account_id = $1`,
      [maya.account],
    );
    expect(refunds).toEqual([{ amount_cents: 9900 }]);
    const { rows: escalations } = await api.database.pool.query(
      `SELECT e.reason, e.status FROM escalations e JOIN conversations c ON c.id = e.conversation_id
        WHERE c.contact_id = $1`,
      [maya.contact],
    );
    expect(escalations).toEqual([{ reason: 'connector_failure', status: 'resolved' }]);
    const { rows: mail } = await api.database.pool.query(
      `SELECT o.template FROM email_outbox o JOIN conversations c ON c.id = o.conversation_id WHERE c.contact_id = $1`,
      [maya.contact],
    );
    expect(mail).toEqual([{ template: 'refund_issued' }]);
  });
});
