import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { stripeSeeder } from '../fakes/stripe/seed.ts';
import { type FakeStripe, startFakeStripe } from '../fakes/stripe/server.ts';
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

const day = 86_400_000;
const isoDaysAgo = (days: number, seconds = 0) =>
  new Date(Date.now() - days * day + seconds * 1000).toISOString();

describe('switching billing to Stripe from the admin page', { timeout: 180_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let stripe: FakeStripe;
  let duplicateCharge: string;

  beforeAll(async () => {
    clearScreenshots('backend-switch');
    [api, browser, stripe] = await Promise.all([startBrowserTestApi(), launchBrowser(), startFakeStripe()]);
    // The demo customer's Stripe account: a subscription and an invoice paid twice, nine seconds apart.
    const seed = stripeSeeder(stripe);
    const customer = demoCustomers.duplicateCharge;
    const price = await seed.plan('pro', 9900, 'Pro');
    const stripeCustomer = await seed.customer(customer.email, { accountId: customer.account });
    const subscription = await seed.subscription(stripeCustomer, price, {
      start: isoDaysAgo(5),
      end: isoDaysAgo(-25),
    });
    const { charges } = seed.invoice(stripeCustomer, {
      total: 9900,
      created: isoDaysAgo(5),
      subscription,
      number: 'LUMEN-0042',
      charges: [{ created: isoDaysAgo(5) }, { created: isoDaysAgo(5, 9) }],
    });
    duplicateCharge = charges[1]!.id;
  }, 240_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'backend-switch', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await stripe?.close();
  });

  it('tests the connection, switches, and the next refund happens at Stripe, once', async () => {
    const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin');
    await signInAsStaff(admin, demoAdmin);
    const billingRow = admin
      .getByRole('row')
      .filter({ has: admin.getByRole('rowheader', { name: /billing/i }) });
    await billingRow.getByRole('button', { name: /Settings/ }).click();

    const form = admin.getByRole('form', { name: 'Backend of billing' });
    await form.getByLabel('Backend').selectOption('stripe');
    await form.getByLabel(/API base URL/).fill(stripe.url);
    await form.getByLabel(/Secret or restricted key/).fill('sk_test_not-the-right-key');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form
      .getByRole('status')
      .filter({ hasText: /^Failed/ })
      .waitFor();

    await form.getByLabel(/Secret or restricted key/).fill(stripe.secretKey);
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form
      .getByRole('status')
      .filter({ hasText: /^Connected/ })
      .waitFor();
    await form.getByRole('button', { name: 'Save and switch' }).click();
    await form.getByRole('status').filter({ hasText: 'now runs on Stripe' }).waitFor();
    // The secret is never shown again: the input is empty, the page says it is stored.
    await expect(form.getByLabel(/Secret or restricted key/).inputValue()).resolves.toBe('');
    await expect(form.textContent()).resolves.toContain('stored; enter a value to replace it');
    await expect(admin.content()).resolves.not.toContain(stripe.secretKey);
    await billingRow.getByRole('rowheader', { name: /Stripe/ }).waitFor();
    await screenshot(admin, 'backend-switch', 'billing-on-stripe');

    // A verified customer reports the double charge; the refund is made at Stripe.
    const customer: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await customer.goto('/');
    await signInAsDemoCustomer(customer, demoCustomers.duplicateCharge.email);
    await sendChatMessage(customer, 'Hi, I think I was charged twice this month.');
    await customer
      .getByRole('button', { name: /Confirm|Yes/ })
      .first()
      .click({ timeout: turnTimeoutMs });
    await conversation(customer)
      .getByText(/refund/i)
      .last()
      .waitFor({ timeout: turnTimeoutMs });
    await expect
      .poll(() => [...stripe.state.refunds.values()].map((refund) => refund.charge), {
        timeout: turnTimeoutMs,
      })
      .toEqual([duplicateCharge]);
    await screenshot(customer, 'backend-switch', 'refund-at-stripe');
  });
});
