import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { loginAs } from '../support/console-login.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  conversation,
  desktopViewport,
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
const priya = demoCustomers.refundAboveLimit;

/** The element's box, asserting it is rendered. */
async function box(locator: Locator) {
  const found = await locator.boundingBox();
  if (!found) throw new Error(`${locator} has no box`);
  return found;
}

/** Whether the element lies wholly inside the viewport (nothing of it needs scrolling to). */
async function inViewport(page: Page, locator: Locator): Promise<boolean> {
  const { x, y, width, height } = await box(locator);
  const viewport = page.viewportSize()!;
  return x >= 0 && y >= 0 && x + width <= viewport.width + 0.5 && y + height <= viewport.height + 0.5;
}

const overlaps = (
  a: { x: number; y: number; width: number; height: number },
  b: { x: number; y: number; width: number; height: number },
) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Script errors of the pages a test opens: a chat that renders nothing fails with its cause. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

describe('the chat launcher on a phone and a desktop', { timeout: 150_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;

  beforeAll(async () => {
    clearScreenshots('mobile-launcher');
    [api, browser] = await Promise.all([
      startBrowserTestApi({
        settings: { supportHours: { replyWithinMinutes: 120, hours: 'Mon–Fri 9:00–17:00 CET' } },
      }),
      launchBrowser(),
    ]);
  }, 180_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'mobile-launcher', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('opens full screen from the launcher on a 390×844 phone and completes a refund', async () => {
    const context = await newContext(browser, api.baseUrl, phoneViewport);
    try {
      const page = await context.newPage();
      const errors = collectErrors(page);
      await page.goto('/');
      const launcher = page.getByRole('button', { name: 'Chat with support' });
      await launcher.waitFor({ timeout: 10_000 }).catch(() => {
        throw new Error(`The launcher did not appear: ${errors.join('; ') || 'no script error'}`);
      });
      expect(await inViewport(page, launcher)).toBe(true);
      await screenshot(page, 'mobile-launcher', 'phone-closed');

      // The launcher opens the chat over the whole screen: transcript and message box in view at once.
      await launcher.click();
      const dialog = page.getByRole('dialog', { name: 'Support chat' });
      await dialog.waitFor();
      expect(await box(dialog)).toEqual({
        x: 0,
        y: 0,
        width: phoneViewport.width,
        height: phoneViewport.height,
      });
      const composer = page.getByLabel('Your message');
      await expect
        .poll(() => composer.evaluate((element) => element === element.ownerDocument.activeElement))
        .toBe(true);
      expect(await inViewport(page, composer)).toBe(true);
      expect(await inViewport(page, conversation(page))).toBe(true);
      await expect(page.evaluate<number>('window.scrollY')).resolves.toBe(0);

      // Closing returns to the page, the focus on the launcher.
      await page.getByRole('button', { name: 'Close chat' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect(
        launcher.evaluate((element) => element === element.ownerDocument.activeElement),
      ).resolves.toBe(true);

      // Signing in on the page opens the chat as that customer (page and chat show the same person).
      await signInAsDemoCustomer(page, maya.email);
      await dialog.waitFor();
      await sendChatMessage(page, 'Hi, I think I was charged twice this month.');
      const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
      await confirm.waitFor({ timeout: turnTimeoutMs });
      // The confirmation says what happens in the customer's words: money, never ids or field names.
      const box_ = page.locator('fieldset.confirmation');
      const summary = (await box_.textContent()) ?? '';
      expect(summary).toContain('Refund $99.00 to your card');
      expect(summary).not.toMatch(/pay_|inv_|amount[ _]cents|payment[ _]id|_limit|9900/i);
      expect(await inViewport(page, confirm)).toBe(true);
      await screenshot(page, 'mobile-launcher', 'phone-confirm');
      await confirm.click();

      const card = conversation(page).getByRole('region', { name: 'Refund issued' });
      await card.waitFor({ timeout: turnTimeoutMs });
      await expect(card.textContent()).resolves.toMatch(/Amount: \$99\.00/);
      await expect(card.textContent()).resolves.not.toMatch(/re_[a-z0-9]|pay_/);
      // Sources, when any, are listed once; no reply is an empty bubble.
      const bubbles = await conversation(page).locator('.message').allTextContents();
      expect(bubbles.filter((text) => text.trim() === '' || /^Lumen assistant$/.test(text.trim()))).toEqual(
        [],
      );
      expect(await inViewport(page, composer)).toBe(true);
      await screenshot(page, 'mobile-launcher', 'phone-refunded', 'chat-phone-launcher');

      const { rows: refunds } = await api.database.pool.query(
        `SELECT r.amount_cents FROM refunds r
           JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id
          WHERE i.account_id = $1`,
        [maya.account],
      );
      expect(refunds).toEqual([{ amount_cents: 9900 }]);

      // A reload keeps the chat open, signed in, with the refund in the transcript.
      await page.reload();
      await dialog.waitFor();
      await page
        .locator('.chat-identity')
        .getByText(/^Signed in as/)
        .waitFor();
      await conversation(page)
        .getByText(/refunded/i)
        .first()
        .waitFor();
    } finally {
      await context.close();
    }
  });

  it('opens as a panel beside the page on a desktop; Escape closes it and the focus returns', async () => {
    const context = await newContext(browser, api.baseUrl, desktopViewport);
    try {
      const page = await context.newPage();
      await page.goto('/');
      const launcher = page.getByRole('button', { name: 'Chat with support' });
      await launcher.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Support chat' });
      await dialog.waitFor();
      const panel = await box(dialog);
      // Bottom right, a panel (not the whole screen), clear of every control of the page itself.
      expect(panel.width).toBeLessThanOrEqual(400);
      expect(panel.x + panel.width).toBeGreaterThan(desktopViewport.width - 40);
      expect(panel.y).toBeGreaterThan(0);
      for (const control of [
        page.getByRole('button', { name: 'Sign in as a demo customer' }),
        page.getByLabel('Demo customer'),
        page.getByRole('link', { name: 'Agent console' }),
        page.getByRole('link', { name: 'Admin' }),
      ])
        expect(overlaps(panel, await box(control)), String(control)).toBe(false);
      await expect
        .poll(() =>
          page
            .getByLabel('Your message')
            .evaluate((element) => element === element.ownerDocument.activeElement),
        )
        .toBe(true);
      await screenshot(page, 'mobile-launcher', 'desktop-panel');

      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await expect(
        launcher.evaluate((element) => element === element.ownerDocument.activeElement),
      ).resolves.toBe(true);
      await expect(launcher.getAttribute('aria-expanded')).resolves.toBe('false');
    } finally {
      await context.close();
    }
  });

  it('keeps the hand-off banner in its own row and names the person who replies, with the team’s hours', async () => {
    const context = await newContext(browser, api.baseUrl, phoneViewport);
    try {
      const page = await context.newPage();
      await page.goto('/');
      await signInAsDemoCustomer(page, priya.email);
      await sendChatMessage(page, 'Hi, I think I was charged twice this month.');
      const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
      await confirm.waitFor({ timeout: turnTimeoutMs });
      // Above the limit: no policy variables or cents in what the customer reads.
      await expect(page.locator('.chat').textContent()).resolves.not.toMatch(/_cents|_limit|\d{5,} ?>/);
      await confirm.click();
      const banner = page.getByRole('status').filter({ hasText: 'reviewing your request' });
      await banner.waitFor({ timeout: turnTimeoutMs });
      await banner
        .getByText('We usually reply within 2 hours. Our team works Mon–Fri 9:00–17:00 CET.')
        .waitFor();
      // The approval message names no policy variable, cents or limit (those are for the team).
      await conversation(page)
        .getByText(/needs approval from our billing team/)
        .waitFor();
      await expect(page.locator('.chat').textContent()).resolves.not.toMatch(/_cents|_limit|\d{5,} ?>/);
      // The banner takes its own row: the transcript starts below it and the message box stays in view.
      const bannerBox = await box(banner);
      const listBox = await box(conversation(page));
      expect(bannerBox.y + bannerBox.height).toBeLessThanOrEqual(listBox.y + 0.5);
      expect(await inViewport(page, page.getByLabel('Your message'))).toBe(true);

      // A person replies from the console: the customer sees the reply live, under the person's name.
      const { rows } = await api.database.pool.query<{ id: string }>(
        'SELECT id FROM conversations WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 1',
        [priya.contact],
      );
      const staff = await loginAs(api.app, api.database.pool, 'agent');
      const reply = await api.app.inject({
        method: 'POST',
        url: `/api/console/conversations/${rows[0]!.id}/replies`,
        headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrfToken },
        payload: { text: 'Hi Priya, I am **checking** this with billing now.' },
      });
      expect(reply.statusCode).toBe(201);
      const human = conversation(page).locator('.message-human');
      await human.waitFor({ timeout: turnTimeoutMs });
      await expect(human.locator('.message-author').textContent()).resolves.toBe(
        `${staff.human.name} (support team)`,
      );
      // Markdown, not literal asterisks.
      await expect(human.locator('strong').textContent()).resolves.toBe('checking');
      await expect(human.textContent()).resolves.not.toContain('**');
      await screenshot(page, 'mobile-launcher', 'phone-handoff');
    } finally {
      await context.close();
    }
  });

  it('speaks German to a German browser: launcher, chat, prompts', async () => {
    const context = await browser.newContext({
      baseURL: api.baseUrl,
      viewport: phoneViewport,
      locale: 'de-DE',
      timezoneId: 'Europe/Berlin',
      reducedMotion: 'reduce',
    });
    try {
      const page = await context.newPage();
      await page.goto('/');
      await page.getByRole('button', { name: 'Chat mit dem Support' }).click();
      const dialog = page.getByRole('dialog', { name: 'Support-Chat' });
      await dialog.waitFor();
      await dialog.getByText('Sie chatten als Gast').waitFor();
      await dialog.getByText(/^Hallo! Fragen Sie mich/).waitFor();
      await expect(dialog.getByRole('button', { name: 'Neuer Chat' }).count()).resolves.toBe(1);
      await dialog.getByRole('button', { name: 'E-Mail-Adresse bestätigen' }).click();
      await dialog.getByLabel('E-Mail-Adresse Ihres Kontos').waitFor();
      await dialog.getByRole('button', { name: 'Abbrechen' }).click();
      await page.getByLabel('Ihre Nachricht').fill('Hallo');
      await expect(page.getByRole('button', { name: 'Senden', exact: true }).isEnabled()).resolves.toBe(true);
      await screenshot(page, 'mobile-launcher', 'phone-german');
      await page.getByRole('button', { name: 'Chat schließen' }).click();
      await page.getByRole('button', { name: 'Chat mit dem Support' }).waitFor();
    } finally {
      await context.close();
    }
  });
});
