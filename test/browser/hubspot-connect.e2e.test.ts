import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHubSpot, startFakeHubSpot } from '../fakes/hubspot/server.ts';
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

/**
 * The HubSpot OAuth connection as an admin makes it: the OAuth app saved on /admin, "Connect
 * HubSpot", HubSpot's install page (the fake approves at once and redirects back with code and
 * state), the admin page finishing the exchange — tokens kept encrypted, never on the page.
 */
describe('connecting HubSpot with its OAuth app from the admin page', { timeout: 180_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let hubspot: FakeHubSpot;

  beforeAll(async () => {
    clearScreenshots('hubspot-connect');
    [api, browser, hubspot] = await Promise.all([startBrowserTestApi(), launchBrowser(), startFakeHubSpot()]);
  }, 240_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'hubspot-connect', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await hubspot?.close();
  });

  it('saves the OAuth app, goes to HubSpot and back, and shows HubSpot connected', async () => {
    const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin');
    await signInAsStaff(admin, demoAdmin);
    const crmRow = admin.getByRole('row').filter({ has: admin.getByRole('rowheader', { name: /crm/i }) });
    await crmRow.getByRole('button', { name: /Settings/ }).click();

    const form = admin.getByRole('form', { name: 'Backend of crm' });
    await form.getByLabel('Backend').selectOption('hubspot');
    await form.getByLabel(/API base URL/).fill(hubspot.url);
    await form.getByLabel(/OAuth app client ID/).fill(hubspot.oauth.app.clientId);
    await form.getByLabel(/OAuth app client secret/).fill(hubspot.oauth.app.clientSecret);
    await form.getByLabel(/OAuth redirect URL/).fill(`${api.baseUrl}/admin?connect=hubspot`);
    await form.getByLabel(/OAuth install page/).fill(`${hubspot.url}/oauth/authorize`);
    await form.getByRole('button', { name: 'Save and switch' }).click();
    await form.getByRole('status').filter({ hasText: 'now runs on HubSpot' }).waitFor();

    const connection = admin.getByRole('region', { name: 'HubSpot OAuth connection' });
    await connection.getByText('not connected').waitFor();
    await connection.getByRole('button', { name: 'Connect HubSpot' }).click();
    // HubSpot's install page approves and sends the admin back to /admin with code and state.
    await admin
      .getByRole('region', { name: 'HubSpot OAuth connection' })
      .getByText('HubSpot connected.')
      .waitFor();
    expect(new URL(admin.url()).search).toBe('');
    expect(hubspot.oauth.grants).toContainEqual({ grantType: 'authorization_code', status: 200 });
    await expect(admin.content()).resolves.not.toContain(hubspot.oauth.app.clientSecret);
    await screenshot(admin, 'hubspot-connect', 'connected');

    const { rows } = await api.database.pool.query<{ field: string }>(
      `SELECT field FROM connector_credentials WHERE connector_id = 'crm' ORDER BY field`,
    );
    expect(rows.map((row) => row.field)).toEqual(
      expect.arrayContaining(['hubspot_client_secret', 'oauth_access_token', 'oauth_refresh_token']),
    );
  });
});
