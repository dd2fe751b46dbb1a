import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  conversation,
  demoAdmin,
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
    await expect(
      conversation(customer!)
        .getByText(/Handed to our support team/)
        .textContent(),
    ).resolves.toMatch(/connector failure/);
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
