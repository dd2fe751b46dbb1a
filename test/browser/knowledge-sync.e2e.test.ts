import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeZendesk, startFakeZendesk } from '../fakes/zendesk/server.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  demoAdmin,
  launchBrowser,
  newContext,
  screenshot,
  screenshotPagesOnFailure,
  signInAsStaff,
  startBrowserTestApi,
} from './support.ts';

describe('syncing the Zendesk Guide help center from the admin page', { timeout: 180_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let fake: FakeZendesk;

  beforeAll(async () => {
    clearScreenshots('knowledge-sync');
    fake = await startFakeZendesk();
    const billing = fake.helpCenter.addSection('Billing');
    fake.helpCenter.addArticle({
      title: 'Pay by bank transfer',
      body: '<p>Annual plans can be paid by <strong>bank transfer</strong>: ask for an invoice.</p>',
      section_id: billing,
      label_names: ['invoices'],
    });
    [api, browser] = await Promise.all([
      startBrowserTestApi({
        knowledgeSources: { zendeskGuide: { baseUrl: fake.url, intervalMs: 3_600_000 } },
      }),
      launchBrowser(),
    ]);
    // As an admin stores them (PUT /api/admin/connectors/knowledge/credentials).
    await api.context.vault.put('knowledge', 'zendesk_guide_email', fake.agent.email);
    await api.context.vault.put('knowledge', 'zendesk_guide_api_token', fake.agent.apiToken);
  }, 120_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'knowledge-sync', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await fake?.close();
  });

  it('Sync now indexes the help center and reports what it did', async () => {
    const admin = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin/knowledge');
    await signInAsStaff(admin, demoAdmin);
    // The help center's own section: the Google Drive source is listed beside it.
    const sources = admin
      .getByRole('region', { name: 'Sources' })
      .getByRole('region', { name: 'Zendesk Guide (help center)' });
    await sources.getByText('Zendesk Guide (help center)').waitFor();
    await sources.getByText('Never synced.').waitFor();

    await sources.getByRole('button', { name: 'Sync now' }).click();
    await sources.getByText(/1 created, 0 updated, 0 deleted/).waitFor({ timeout: 90_000 });
    // The article list refreshes with the synced article.
    await admin.getByRole('cell', { name: /^Pay by bank transfer/ }).waitFor();
    expect(await sources.getByRole('button', { name: 'Sync now' }).isEnabled()).toBe(true);
    await screenshot(admin, 'knowledge-sync', 'synced');
  });
});
