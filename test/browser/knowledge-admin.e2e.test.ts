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

const title = 'Kiln descaling schedule';
const article = `---
title: ${title}
---
Descale the pottery kiln every ninety firings with the tamarind descaler from the supply cabinet.
Let the kiln cool for twelve hours before descaling.
`;
const question = 'How often should I descale the pottery kiln?';

/** A customer's fresh chat: the question, and everything the chat shows after it once the turn settles. */
async function ask(browser: Browser, baseUrl: string): Promise<string> {
  const page = await (await newContext(browser, baseUrl)).newPage();
  await page.goto('/');
  await signInAsDemoCustomer(page, demoCustomers.duplicateCharge.email);
  await sendChatMessage(page, question);
  const after = async () => {
    const text = (await conversation(page).textContent()) ?? '';
    const at = text.lastIndexOf(question);
    return at < 0 ? '' : text.slice(at + question.length).trim();
  };
  // The reply streams in: done when there is text after the question and it stopped changing.
  const deadline = Date.now() + turnTimeoutMs;
  let previous = '';
  for (;;) {
    await page.waitForTimeout(1000);
    const current = await after();
    if (current.length > 0 && current === previous) break;
    if (Date.now() > deadline) throw new Error(`no settled reply to "${question}": ${current}`);
    previous = current;
  }
  await page.context().close();
  return previous;
}

describe('knowledge and eval administration in the browser', { timeout: 300_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let admin: Page;

  beforeAll(async () => {
    clearScreenshots('knowledge-admin');
    [api, browser] = await Promise.all([
      startBrowserTestApi({ settings: { turnStreamTimeoutMs: 120_000 } }),
      launchBrowser(),
    ]);
    admin = await (await newContext(browser, api.baseUrl)).newPage();
    admin.on('dialog', (dialog) => void dialog.accept());
  }, 240_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'knowledge-admin', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('uploads a Markdown file with its visibility chosen; the chat answers from it until it is unpublished', async () => {
    await admin.goto('/admin/knowledge');
    await signInAsStaff(admin, demoAdmin);
    const upload = admin.getByRole('form', { name: 'Upload an article' });
    await upload.getByLabel('File (.md, .html or .pdf)').setInputFiles({
      name: 'kiln-descaling.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from(article),
    });
    // No visibility chosen yet: the button stays disabled (never a silent default).
    expect(await upload.getByRole('button', { name: 'Upload' }).isEnabled()).toBe(false);
    await upload.getByLabel('Visibility').selectOption('public');
    await upload.getByRole('button', { name: 'Upload' }).click();
    await upload.getByText(`Indexed "${title}" (kiln-descaling, public`).waitFor({ timeout: 90_000 });
    const row = admin.locator('tr[data-slug="kiln-descaling"]');
    await row.getByText('published').waitFor();
    await screenshot(admin, 'knowledge-admin', 'uploaded');

    expect(await ask(browser, api.baseUrl)).toContain(title);

    // Edit in place: the preview renders the Markdown as typed.
    await row.getByRole('button', { name: `Edit ${title}` }).click();
    const editor = admin.getByRole('region', { name: `Edit "${title}"` });
    await editor.getByLabel(/^Markdown/).waitFor();
    await expect(editor.getByLabel(/^Markdown/).inputValue()).resolves.toContain('visibility: public');
    await editor
      .getByRole('region', { name: 'Preview' })
      .getByText(/tamarind descaler/)
      .waitFor();
    await screenshot(admin, 'knowledge-admin', 'editing');
    await editor.getByRole('button', { name: 'Close' }).click();

    await row.getByRole('button', { name: `Unpublish ${title}` }).click();
    await row.getByText('unpublished').waitFor();
    expect(await ask(browser, api.baseUrl)).not.toContain(title);
    // The usage column counted the answer that cited it.
    await admin.reload();
    await expect(admin.locator('tr[data-slug="kiln-descaling"] td').nth(3).textContent()).resolves.toBe('1');
  });

  it('shows a running suite’s progress and compares two runs', async () => {
    const { pool } = api.database;
    const results = (passed: boolean) =>
      JSON.stringify([
        {
          id: 'kb-refund-window',
          title: 'Refund window question',
          baseline: 'none',
          run: 0,
          passed,
          actualOutcome: passed ? 'answered' : 'escalated',
          harmful: [],
        },
        {
          id: 'billing-dup',
          title: 'Duplicate charge',
          baseline: 'none',
          run: 0,
          passed: true,
          actualOutcome: 'resolved',
          harmful: [],
        },
      ]);
    const summary = JSON.stringify({
      agent: {
        scenarios: 2,
        total: 2,
        correctHandling: { count: 2, total: 2, rate: 1 },
        resolution: { count: 1, total: 2, rate: 0.5 },
        harmful: { count: 0, total: 2, rate: 0 },
        harmfulActions: 0,
        falseResolutions: { count: 0, total: 2, rate: 0 },
        passHatK: { count: 2, total: 2, rate: 1, k: 1 },
        errors: 0,
        latencyMs: { p50: 100, p95: 200 },
      },
      baseline: null,
      thresholdFailures: [],
    });
    await pool.query(
      `INSERT INTO eval_runs (id, suite, options, summary, results, started_at, finished_at) VALUES
         ('evr_e2e_a', 'smoke', '{}', $1, $2, now() - interval '2 hours', now() - interval '2 hours'),
         ('evr_e2e_b', 'smoke', '{}', $1, $3, now() - interval '1 hour', now() - interval '1 hour')`,
      [summary, results(true), results(false)],
    );
    await pool.query(
      `INSERT INTO eval_runs (id, suite, options, progress, started_at) VALUES ('evr_e2e_running', 'smoke', '{}', $1, now())`,
      [
        JSON.stringify({
          done: 3,
          total: 9,
          passed: 2,
          failed: 1,
          errors: 0,
          last: { id: 'billing-dup', passed: true },
          updatedAt: new Date().toISOString(),
        }),
      ],
    );
    await admin.goto('/admin/evals');
    await admin.getByText('3 of 9 done: 2 passed, 1 failed').waitFor();
    await admin
      .getByRole('img', { name: /Correct handling, resolution rate and harmful rate over 2 runs/ })
      .waitFor();
    const compare = admin.getByRole('region', { name: 'Compare two runs' });
    await compare.getByRole('button', { name: 'Compare' }).click();
    await compare.getByText(/1 scenario run\(s\) changed: 1 now fail/).waitFor();
    await compare.getByRole('cell', { name: /Refund window question/ }).waitFor();
    await expect(compare.getByRole('cell', { name: /Duplicate charge/ }).count()).resolves.toBe(0);
    await screenshot(admin, 'knowledge-admin', 'eval-compare');
  });
});
