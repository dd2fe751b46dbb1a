import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
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

const priya = demoCustomers.refundAboveLimit;
/** The eval run is a child process (`npm run eval`) loading the local model: give it time. */
const evalRunTimeoutMs = 600_000;

describe('an escalation saved as a test runs from the eval page', { timeout: 900_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;

  beforeAll(async () => {
    clearScreenshots('save-as-scenario');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
  }, 400_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'save-as-scenario', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('saves the escalation from the console and the admin runs it: today’s agent handles it', async () => {
    // A customer asks about a duplicate charge, then for a person: an escalation.
    const customer: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await customer.goto('/');
    await signInAsDemoCustomer(customer, priya.email);
    await sendChatMessage(customer, 'Hi, I think I was charged twice this month.');
    await customer.getByRole('button', { name: 'Confirm', exact: true }).waitFor({ timeout: turnTimeoutMs });
    await sendChatMessage(customer, 'I want to talk to a human please');
    await expect
      .poll(
        async () =>
          (
            await api.database.pool.query(
              `SELECT e.id FROM escalations e JOIN conversations c ON c.id = e.conversation_id WHERE c.contact_id = $1`,
              [priya.contact],
            )
          ).rowCount,
        { timeout: turnTimeoutMs },
      )
      .toBe(1);

    // The agent opens it and saves it as a test.
    const agent: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await agent.goto('/console');
    await signInAsStaff(agent, demoAgent);
    const row = agent.getByRole('row').filter({ hasText: 'Priya' });
    await row.waitFor();
    await row.getByRole('link').first().click();
    await agent.getByRole('button', { name: 'Save as test' }).click();
    const dialog = agent.getByRole('dialog', { name: 'Save this conversation as a test' });
    await dialog.waitFor();
    await dialog.getByLabel('Name').fill('Duplicate charge, then asks for a person');
    await dialog.getByLabel('Escalated to a person').check();
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const preview = dialog.getByLabel('Scenario preview');
    await preview.waitFor();
    const yaml = (await preview.textContent()) ?? '';
    expect(yaml).toContain('outcome: escalated');
    expect(yaml).toContain('Hi, I think I was charged twice this month.');
    expect(yaml).not.toContain(priya.email);
    expect(yaml).not.toMatch(/Priya|Nair|quantaleap/i);
    await screenshot(agent, 'save-as-scenario', 'dialog');
    await dialog.getByRole('button', { name: 'Save test' }).click();
    await dialog.getByText('Saved as test "duplicate-charge-then-asks-for-a-person"').waitFor();
    // Saving the same conversation again is refused, and says why.
    await dialog.getByRole('button', { name: 'Save test' }).click();
    await dialog.getByText(/Could not save: .*already saved as a scenario/).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The admin sees it in the captured suite and runs the suite from the eval page.
    const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin/evals');
    await signInAsStaff(admin, demoAdmin);
    const captured = admin.getByRole('region', { name: 'Captured suite' });
    await captured
      .locator('summary')
      .filter({ hasText: 'Duplicate charge, then asks for a person' })
      .waitFor();
    await admin.getByRole('combobox', { name: /^Suite/ }).selectOption('captured');
    await admin.getByRole('button', { name: 'Start a run' }).click();
    await admin.getByText('Started the captured suite.').waitFor();
    await expect
      .poll(
        async () =>
          (await api.database.pool.query(`SELECT finished_at FROM eval_runs WHERE suite = 'captured'`))
            .rows[0]?.finished_at ?? null,
        { timeout: evalRunTimeoutMs, interval: 2000 },
      )
      .not.toBeNull();
    await admin.reload();
    const runRow = admin.getByRole('row').filter({ hasText: 'Captured' });
    await runRow.getByRole('link').click();
    const result = admin
      .getByRole('listitem')
      .filter({ hasText: 'Duplicate charge, then asks for a person' });
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain('Passed');
    await result.getByText('Duplicate charge, then asks for a person').click();
    await result.getByText('Expected escalated, got escalated').waitFor();
    await screenshot(admin, 'save-as-scenario', 'eval-run');
  });
});
