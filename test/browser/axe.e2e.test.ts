import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { csatLinkToken } from '../../conversations/csat-link.ts';
import { demoCustomers } from '../../db/world/demo-world.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  demoAdmin,
  demoAgent,
  launchBrowser,
  newContext,
  screenshotPagesOnFailure,
  sendChatMessage,
  signInAsDemoCustomer,
  signInAsStaff,
  startBrowserTestApi,
  turnTimeoutMs,
} from './support.ts';

/**
 * axe-core on every page of the UI (issue #21: accessibility stays checked): the customer demo page
 * and its chat, the rating page, the console (login, queue, an escalation and its "Save as test"
 * dialog) and every page the admin navigation links to. A page passes with no violation of impact
 * serious or critical; moderate and minor ones are printed, not failed.
 */

const priya = demoCustomers.refundAboveLimit;

interface Finding {
  page: string;
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Runs axe on what the page shows now; returns the serious and critical violations. */
async function audit(page: Page, name: string, log: Finding[]): Promise<Finding[]> {
  const results = await new AxeBuilder({ page }).analyze();
  const findings = results.violations.map((violation) => ({
    page: name,
    rule: violation.id,
    impact: violation.impact ?? 'unknown',
    help: violation.help,
    targets: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
  }));
  log.push(...findings);
  return findings.filter((finding) => finding.impact === 'serious' || finding.impact === 'critical');
}

const describeFindings = (findings: Finding[]) =>
  findings.map(
    (finding) =>
      `${finding.page}: ${finding.rule} (${finding.impact}) ${finding.help} — ${finding.targets.join(', ')}`,
  );

describe('axe-core on every page', { timeout: 600_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  const log: Finding[] = [];
  let conversationId: string;

  beforeAll(async () => {
    clearScreenshots('axe');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
  }, 400_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'axe', task.result?.state === 'fail');
  });

  afterAll(async () => {
    const minor = log.filter((finding) => finding.impact !== 'serious' && finding.impact !== 'critical');
    if (minor.length > 0)
      console.info(`axe: moderate/minor findings (not failed):\n${describeFindings(minor).join('\n')}`);
    await browser?.close();
    await api?.close();
  });

  it('the customer demo page, its chat with an answer and a confirmation, and the rating page', async () => {
    const page = await (await newContext(browser, api.baseUrl)).newPage();
    await page.goto('/');
    await page.getByLabel('Demo customer').waitFor();
    const serious = await audit(page, 'demo page', log);
    await signInAsDemoCustomer(page, priya.email);
    await sendChatMessage(page, 'Hi, I think I was charged twice this month.');
    await page.getByRole('button', { name: 'Confirm', exact: true }).waitFor({ timeout: turnTimeoutMs });
    serious.push(...(await audit(page, 'chat with a confirmation', log)));

    const { rows } = await api.database.pool.query<{ id: string }>(
      `SELECT id FROM conversations WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [priya.contact],
    );
    conversationId = rows[0]!.id;
    await page.goto(`/rate/${encodeURIComponent(csatLinkToken(api.context.csatLinks, conversationId))}`);
    await page.getByRole('heading').first().waitFor();
    serious.push(...(await audit(page, 'rating page', log)));
    expect(describeFindings(serious)).toEqual([]);
  });

  it('the console: login, queue, an escalation and the "Save as test" dialog', async () => {
    // An escalation to look at: the customer asks for a person.
    const customer = await (await newContext(browser, api.baseUrl)).newPage();
    await customer.goto('/');
    await signInAsDemoCustomer(customer, demoCustomers.openTicket.email);
    await sendChatMessage(customer, 'I would like to talk to a human please.');
    await expect
      .poll(async () => (await api.database.pool.query(`SELECT id FROM escalations`)).rowCount, {
        timeout: turnTimeoutMs,
      })
      .toBeGreaterThan(0);

    const page = await (await newContext(browser, api.baseUrl)).newPage();
    await page.goto('/console');
    await page.getByLabel('Email').waitFor();
    const serious = await audit(page, 'console login', log);
    await signInAsStaff(page, demoAgent);
    await page.getByRole('row').nth(1).waitFor();
    serious.push(...(await audit(page, 'console queue', log)));
    await page.getByRole('row').nth(1).getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    serious.push(...(await audit(page, 'escalation view', log)));
    await page.getByRole('button', { name: 'Save as test' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Asks for a person');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByLabel('Scenario preview').waitFor();
    serious.push(...(await audit(page, 'save-as-test dialog', log)));
    await dialog.getByRole('button', { name: 'Close' }).click();
    // Every other page the console's navigation links to (the inbox, …).
    const hrefs = await page
      .getByRole('navigation')
      .getByRole('link')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''));
    for (const href of new Set(hrefs.filter((href) => href.startsWith('/console/')))) {
      await page.goto(href);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      serious.push(...(await audit(page, `console ${href}`, log)));
    }
    expect(describeFindings(serious)).toEqual([]);
  });

  it('every admin page the navigation links to', async () => {
    const page = await (await newContext(browser, api.baseUrl)).newPage();
    await page.goto('/admin');
    await signInAsStaff(page, demoAdmin);
    const hrefs = await page
      .getByRole('navigation')
      .getByRole('link')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''));
    const adminPages = [...new Set(hrefs.filter((href) => href.startsWith('/admin')))];
    expect(adminPages.length).toBeGreaterThanOrEqual(5);
    const serious: Finding[] = [];
    for (const href of adminPages) {
      await page.goto(href);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      // Let the page's first requests settle (lists, charts) before auditing what it shows.
      await page.waitForLoadState('networkidle').catch(() => undefined);
      serious.push(...(await audit(page, `admin ${href}`, log)));
    }
    expect(describeFindings(serious)).toEqual([]);
  });
});
