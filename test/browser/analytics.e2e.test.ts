import { readFile } from 'node:fs/promises';
import { AxeBuilder } from '@axe-core/playwright';
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

const maya = demoCustomers.duplicateCharge;

/**
 * The analytics page (docs/analytics.md) sees a real conversation: a customer's duplicate charge is
 * refunded in the chat and rated, and the team lead's page then counts one more conversation, its
 * automated resolution, its intent and its rating, and downloads the same numbers as CSV.
 */
describe('the analytics page in a browser', { timeout: 240_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let admin: Page;

  beforeAll(async () => {
    clearScreenshots('analytics');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
    admin = await (await newContext(browser, api.baseUrl)).newPage();
    // Builds the UI when it is stale and warms the intent model: minutes on a busy machine.
  }, 420_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'analytics', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const totalConversations = async () => Number(await admin.getByTestId('total-conversations').textContent());
  const periodPattern = /^(\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})/;
  const periodLine = () => admin.getByRole('status').filter({ hasText: periodPattern }).first();
  /** How many days the numbers on the page are for (its status line); 0 while it loads. */
  const shownDays = async () => {
    const text = await periodLine()
      .textContent({ timeout: 1000 })
      .catch(() => null);
    const match = text?.match(periodPattern);
    return match ? (Date.parse(match[2]!) - Date.parse(match[1]!)) / 86_400_000 + 1 : 0;
  };

  it('counts a resolved and rated conversation, and downloads the numbers as CSV', async () => {
    await admin.goto('/admin/analytics');
    await signInAsStaff(admin, demoAdmin);
    await admin.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();
    await admin.getByRole('link', { name: 'Analytics' }).waitFor();
    await admin.getByTestId('total-conversations').waitFor();
    await expect(
      admin.getByRole('button', { name: 'Last 30 days' }).getAttribute('aria-pressed'),
    ).resolves.toBe('true');
    await admin.getByRole('button', { name: 'Last 7 days' }).click();
    await expect.poll(shownDays, { timeout: 20_000 }).toBe(7);
    const before = await totalConversations();
    await screenshot(admin, 'analytics', 'before');

    // A customer's conversation: the duplicate charge refunded after they confirm, then rated 5.
    const customer = await (await newContext(browser, api.baseUrl)).newPage();
    await customer.goto('/');
    await signInAsDemoCustomer(customer, maya.email);
    await sendChatMessage(customer, 'Hi, I think I was charged twice this month.');
    const confirm = customer.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor({ timeout: turnTimeoutMs });
    await confirm.click();
    await conversation(customer).locator('.note-ok').getByText('Resolved', { exact: true }).waitFor({
      timeout: turnTimeoutMs,
    });
    await customer.getByRole('radio', { name: /^5 out of 5/ }).click();
    await customer.getByRole('button', { name: 'Send rating' }).click();
    await customer.getByText('Thanks for rating this conversation 5 out of 5.').waitFor();

    // The team lead looks at the last 7 days: one more conversation, resolved with a verified action.
    await admin.reload();
    await admin.getByRole('button', { name: 'Last 7 days' }).click();
    await expect(
      admin.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed'),
    ).resolves.toBe('true');
    await expect.poll(shownDays, { timeout: 20_000 }).toBe(7);
    await admin
      .getByTestId('total-conversations')
      .filter({ hasText: String(before + 1) })
      .waitFor();
    // What the page should count, straight from the tables: the 7 days in the browser's zone.
    const zone = await admin.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const period = (await periodLine().textContent())!.match(periodPattern)!.slice(1);
    const within = (column: string) =>
      `${column} >= ($1::date)::timestamp AT TIME ZONE $3 AND ${column} < ($2::date + 1)::timestamp AT TIME ZONE $3`;
    const { rows } = await api.database.pool.query<{ n: number; rated: number }>(
      `SELECT (SELECT count(*)::int FROM conversations WHERE ${within('created_at')}) AS n,
              (SELECT count(*)::int FROM csat_ratings WHERE ${within('created_at')}) AS rated`,
      [period[0], period[1], zone],
    );
    expect(await totalConversations()).toBe(rows[0]!.n);
    await expect(admin.getByTestId('csat-average').textContent()).resolves.toMatch(
      new RegExp(`/ 5 from ${rows[0]!.rated} rating`),
    );
    // The intent the agent classified is in the intents table (a disclosure under its chart).
    const intents = admin.getByTestId('chart-intents');
    await intents.getByText(/^Table of/).click();
    const row = intents.getByRole('row', { name: /billing\.duplicate_charge/ });
    await row.waitFor();
    await expect(row.getByRole('cell').first().textContent()).resolves.toMatch(/^[1-9]\d*$/);
    // The live rate, and the eval run's beside it (none has finished on this fresh database).
    await expect(admin.getByTestId('automated-rate').textContent()).resolves.toMatch(/^\d+\.\d%$/);
    await expect(admin.getByTestId('eval-rate').textContent()).resolves.toBe('no finished run');
    await screenshot(admin, 'analytics', 'after', 'admin-analytics');

    // The page passes axe (no serious or critical violation), disclosures open.
    const results = await new AxeBuilder({ page: admin }).analyze();
    const serious = results.violations.filter(
      (violation) => violation.impact === 'serious' || violation.impact === 'critical',
    );
    expect(serious.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);

    // The CSV: a header and one row per day of the 7, today's with the rating.
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^switchboard-analytics-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const csv = await readFile((await download.path())!, 'utf8');
    const [header, ...days] = csv.trimEnd().split('\r\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 2)).toEqual(['date', 'conversations']);
    expect(columns).toContain('intent_billing.duplicate_charge');
    expect(days).toHaveLength(7);
    const cells = days.map((line) => line.split(','));
    const sum = (column: string) =>
      cells.reduce((total, cell) => total + Number(cell[columns.indexOf(column)]), 0);
    expect(sum('conversations')).toBe(rows[0]!.n);
    expect(sum('csat_ratings')).toBe(rows[0]!.rated);
    expect(sum('csat_5')).toBeGreaterThanOrEqual(1);
    expect(sum('verified_actions')).toBeGreaterThanOrEqual(1);
  });
});
