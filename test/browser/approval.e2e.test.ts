import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  conversation,
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

const priya = demoCustomers.refundAboveLimit;

describe('refund approval in a browser', { timeout: 120_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;

  beforeAll(async () => {
    clearScreenshots('approval');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
  }, 180_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'approval', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('escalates a refund above the limit; an agent approves it and the customer sees the refund live', async () => {
    // The customer's browser.
    const customer: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await customer.goto('/');
    await signInAsDemoCustomer(customer, priya.email);
    await sendChatMessage(customer, 'Hi, I think I was charged twice this month.');
    const confirm = customer.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor({ timeout: turnTimeoutMs });
    await confirm.click();
    await customer
      .getByRole('status')
      .filter({ hasText: 'A person from our team is reviewing your request.' })
      .waitFor({ timeout: turnTimeoutMs });
    await screenshot(customer, 'approval', 'customer-waiting');
    const { rows: before } = await api.database.pool.query(`SELECT count(*)::int AS n FROM refunds`);

    // The agent's browser: its own cookies.
    const agent: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await agent.goto('/console');
    await screenshot(agent, 'approval', 'console-login', 'console-login');
    await signInAsStaff(agent, demoAgent);
    const row = agent.getByRole('row').filter({ hasText: 'Approval required' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('Priya');
    await screenshot(agent, 'approval', 'queue', 'console-queue');
    await row.getByRole('link', { name: 'Approval required' }).click();
    const approve = agent.getByRole('button', { name: 'Approve', exact: true });
    await approve.waitFor();
    // Two fields, each saying who reads it.
    const internal = 'INTERNAL: finance checked both charges';
    await agent.getByLabel('Internal reason (only your team sees this)').fill(internal);
    await agent
      .getByLabel('Message to the customer (sent as written)')
      .fill('Thanks for bearing with us, Priya.');
    await screenshot(agent, 'approval', 'escalation', 'console-escalation');
    await approve.click();
    await agent.getByText('Approved: the assistant carries it out.').waitFor();
    // The console keeps the internal reason with the decision.
    await agent.getByText(`Internal reason (team only): ${internal}`).waitFor();

    // The customer's page updates without a reload.
    const refunded = conversation(customer).getByText(/refunded \$499/i);
    await refunded.waitFor({ timeout: turnTimeoutMs });
    await conversation(customer)
      .getByText('A message from our support team: Thanks for bearing with us, Priya.')
      .waitFor();
    await screenshot(customer, 'approval', 'customer-refunded', 'chat-approved');
    await expect(customer.content()).resolves.not.toContain(internal);
    // Approving and resolving are two steps: the human keeps the conversation, and the reply box, for
    // their own note; the customer's banner says a person is on it, which is true.
    await customer
      .getByRole('status')
      .filter({ hasText: 'A person from our team is on it.' })
      .waitFor({ timeout: turnTimeoutMs });
    await agent.getByText('The decision was carried out.').waitFor({ timeout: turnTimeoutMs });
    await expect(agent.getByRole('button', { name: 'Approve', exact: true }).count()).resolves.toBe(0);
    const replyBox = agent.getByLabel('Reply to the customer');
    // The suggestion never says "approved" before the decision; after it, the box is the human's own.
    await expect(replyBox.inputValue()).resolves.toBe('');
    await replyBox.fill('I have also flagged your account so this does not happen again.');
    await agent.getByRole('button', { name: 'Send reply' }).click();
    await conversation(customer)
      .getByText('I have also flagged your account so this does not happen again.')
      .waitFor({ timeout: turnTimeoutMs });
    await agent.getByRole('button', { name: 'Resolve', exact: true }).click();
    await customer.getByText('This conversation is resolved.').waitFor({ timeout: turnTimeoutMs });
    await expect(customer.locator('.banner-person').count()).resolves.toBe(0);

    // A reload keeps the signed-in customer's conversation, replies included.
    await customer.reload();
    await conversation(customer)
      .getByText(/refunded \$499/i)
      .waitFor({ timeout: turnTimeoutMs });
    await conversation(customer)
      .getByText('I have also flagged your account so this does not happen again.')
      .waitFor();
    await customer.getByText('This conversation is resolved.').waitFor();

    const { rows } = await api.database.pool.query(
      `SELECT r.amount_cents FROM refunds r
         JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id
        WHERE i.account_id = $1`,
      [priya.account],
    );
    expect(rows).toEqual([{ amount_cents: 49900 }]);
    expect(before[0].n).toBe(0);
    const { rows: escalations } = await api.database.pool.query(
      `SELECT e.reason, e.status FROM escalations e JOIN conversations c ON c.id = e.conversation_id
        WHERE c.contact_id = $1`,
      [priya.contact],
    );
    expect(escalations).toEqual([{ reason: 'approval_required', status: 'resolved' }]);
  });
});
