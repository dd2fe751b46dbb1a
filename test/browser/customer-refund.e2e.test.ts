import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { csatLinkToken } from '../../conversations/csat-link.ts';
import { demoCustomers } from '../../db/world/demo-world.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  conversation,
  launchBrowser,
  newContext,
  phoneViewport,
  screenshot,
  screenshotPagesOnFailure,
  sendChatMessage,
  signInAsDemoCustomer,
  startBrowserTestApi,
  turnTimeoutMs,
} from './support.ts';

const maya = demoCustomers.duplicateCharge;

describe('customer chat in a browser', { timeout: 120_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    clearScreenshots('customer-refund');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
    context = await newContext(browser, api.baseUrl);
    page = await context.newPage();
  }, 180_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'customer-refund', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('refunds a verified customer’s duplicate charge after they confirm it in the chat', async () => {
    await page.goto('/');
    await screenshot(page, 'customer-refund', 'demo-page', 'demo-page');
    await signInAsDemoCustomer(page, maya.email);

    await sendChatMessage(page, 'Hi, I think I was charged twice this month.');
    const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor({ timeout: turnTimeoutMs });
    await screenshot(page, 'customer-refund', 'confirmation');
    await confirm.click();

    const card = conversation(page).getByRole('region', { name: 'Refund issued' });
    await card.waitFor({ timeout: turnTimeoutMs });
    // The press shows in the transcript in the customer's words; the API got it as a structured input.
    await conversation(page)
      .locator('.message-customer')
      .getByText('Yes, please go ahead.', { exact: true })
      .waitFor();
    await expect(card.textContent()).resolves.toMatch(/Amount: \$99(\.00)?/);
    // The turn ends with the resolution note (the conversation stays open for follow-ups).
    await conversation(page).locator('.note-ok').getByText('Resolved', { exact: true }).waitFor();
    await screenshot(page, 'customer-refund', 'refunded', 'chat-refund');

    // Once resolved, the chat asks how we did; the rating is stored once and shown back.
    await page.getByRole('radio', { name: /^5 out of 5/ }).click();
    await page.getByPlaceholder('Anything to add? (optional)').fill('Fast refund, thanks.');
    await page.getByRole('button', { name: 'Send rating' }).click();
    await page.getByText('Thanks for rating this conversation 5 out of 5.').waitFor();
    await expect(page.getByRole('radio', { name: /^5 out of 5/ }).count()).resolves.toBe(0);

    const { rows: refunds } = await api.database.pool.query(
      `SELECT r.id, r.amount_cents FROM refunds r
         JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id
        WHERE i.account_id = $1`,
      [maya.account],
    );
    expect(refunds).toHaveLength(1);
    expect(refunds[0].amount_cents).toBe(9900);
    const { rows: emails } = await api.database.pool.query(
      `SELECT subject FROM email_outbox WHERE to_address = $1 AND subject ILIKE '%refund%'`,
      [maya.email],
    );
    expect(emails).toHaveLength(1);
    const { rows: conversations } = await api.database.pool.query(
      `SELECT id, outcome FROM conversations WHERE contact_id = $1`,
      [maya.contact],
    );
    expect(conversations.map((row) => row.outcome)).toContain('resolved');
    const { rows: ratings } = await api.database.pool.query(
      'SELECT rating, comment, channel FROM csat_ratings WHERE conversation_id = ANY($1)',
      [conversations.map((row) => row.id)],
    );
    expect(ratings).toEqual([{ rating: 5, comment: 'Fast refund, thanks.', channel: 'chat' }]);
    const { rows: pressed } = await api.database.pool.query(
      `SELECT body, metadata FROM messages WHERE conversation_id = ANY($1) AND role = 'customer' ORDER BY id`,
      [conversations.map((row) => row.id)],
    );
    expect(pressed.map((row) => row.body)).toEqual([
      'Hi, I think I was charged twice this month.',
      'Yes, please go ahead.',
    ]);
    expect(pressed[1].metadata.input).toMatchObject({
      kind: 'confirm',
      actionId: expect.stringMatching(/^act_/),
    });
  });

  it('rates an email conversation from the link its reply carried, once', async () => {
    const conversationId = 'conv_0000000000000000000000000000e3a1';
    await api.database.pool.query(
      `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status, outcome)
       VALUES ($1, 'email', $2, $3, false, 'open', 'answered')`,
      [conversationId, maya.contact, maya.account],
    );
    const rating = await context.newPage();
    await rating.goto(`/rate/${encodeURIComponent(csatLinkToken(api.context.csatLinks, conversationId))}`);
    await rating.getByRole('radio', { name: /^3 out of 5/ }).click();
    await rating.getByRole('button', { name: 'Send rating' }).click();
    await rating.getByText('Thanks for rating this conversation 3 out of 5.').waitFor();
    const { rows } = await api.database.pool.query(
      'SELECT rating, comment, channel FROM csat_ratings WHERE conversation_id = $1',
      [conversationId],
    );
    expect(rows).toEqual([{ rating: 3, comment: null, channel: 'email' }]);
    // Opened again, the link shows the rating given instead of asking twice.
    await rating.reload();
    await rating.getByText('Thanks for rating this conversation 3 out of 5.').waitFor();
    await expect(rating.getByRole('radio').count()).resolves.toBe(0);
    // A link whose signature was altered rates nothing.
    await rating.goto(`/rate/${conversationId}.${'A'.repeat(32)}`);
    await rating.getByRole('alert').getByText('This rating link is not valid').waitFor();
    await rating.close();
  });

  it('shows the same conversation on a phone-sized screen without horizontal scrolling', async () => {
    // A new page in the same context: sessionStorage is per page, so it starts a fresh chat.
    const phone = await newContext(browser, api.baseUrl, phoneViewport);
    try {
      const small = await phone.newPage();
      // Signing in opens the chat, on a phone over the whole screen.
      await small.goto('/');
      await signInAsDemoCustomer(small, maya.email);
      await sendChatMessage(small, 'How many API requests per minute can I make on the Pro plan?');
      // A cited help-center answer.
      await conversation(small).locator('.sources a').first().waitFor({ timeout: turnTimeoutMs });
      await expect(conversation(small).locator('.message-agent').last().textContent()).resolves.toMatch(
        /1,000/,
      );
      const overflow = await small.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await small.locator('#chat').scrollIntoViewIfNeeded();
      await screenshot(small, 'customer-refund', 'phone-chat', 'chat-phone');
    } finally {
      await phone.close();
    }
  });
});
