import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from '../fakes/google-calendar/server.ts';
import { type FakeGoogleOAuth, startFakeGoogleOAuth } from '../fakes/google-oauth/server.ts';
import { createGoogleTokenBook } from '../fakes/google-oauth/token-book.ts';
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
 * The Google Workspace connection as an admin makes it: the OAuth client saved on /admin/google,
 * features ticked, "Connect Google", Google's consent page (the fake consents at once and redirects
 * back to /admin/google/callback with code and state), the page finishing the exchange; then the
 * status shows the account and the granted features, and "Test connection" reads the calendar's
 * free/busy through the connection's token.
 */
describe('connecting Google Workspace from the admin page', { timeout: 180_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let oauth: FakeGoogleOAuth;
  let calendar: FakeGoogleCalendar;

  beforeAll(async () => {
    clearScreenshots('google-connect');
    const book = createGoogleTokenBook();
    oauth = await startFakeGoogleOAuth({
      book,
      client: { redirectUris: [] },
      user: { email: 'support@brightpath.io' },
    });
    calendar = await startFakeGoogleCalendar({ book, tokens: [] });
    [api, browser] = await Promise.all([
      startBrowserTestApi({
        backendEnvironment: {
          GOOGLE_OAUTH_AUTH_URL: oauth.authUrl,
          GOOGLE_OAUTH_TOKEN_URL: oauth.tokenUrl,
          GOOGLE_OAUTH_REVOKE_URL: oauth.revokeUrl,
          GOOGLE_OAUTH_TOKENINFO_URL: oauth.tokenInfoUrl,
          GOOGLE_API_ROOT: calendar.url,
        },
      }),
      launchBrowser(),
    ]);
    // The OAuth client's authorised redirect URI, as registered in the Cloud console.
    oauth.client.redirectUris.push(`${api.baseUrl}/admin/google/callback`);
  }, 240_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'google-connect', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await oauth?.close();
    await calendar?.close();
  });

  it('saves the client, consents at Google, shows the account and features, and tests the calendar', async () => {
    const admin: Page = await (await newContext(browser, api.baseUrl)).newPage();
    await admin.goto('/admin/google');
    await signInAsStaff(admin, demoAdmin);
    await admin.getByTestId('google-status').getByText('not connected').waitFor();

    const client = admin.getByRole('form', { name: 'OAuth client' });
    await client.getByLabel('Client ID').fill(oauth.client.clientId);
    await client.getByLabel(/Client secret/).fill(oauth.client.clientSecret);
    await expect(client.getByLabel(/Redirect URL/).inputValue()).resolves.toBe(
      `${api.baseUrl}/admin/google/callback`,
    );
    await client.getByRole('button', { name: 'Save OAuth client' }).click();
    await admin.getByRole('status').filter({ hasText: 'OAuth client saved.' }).waitFor();

    await admin.getByLabel(/Drive knowledge sync/).check();
    await admin.getByRole('button', { name: 'Connect Google' }).click();
    // The fake's consent page approves and sends the admin back with code and state.
    await admin.getByRole('status').filter({ hasText: 'Google Workspace connected.' }).waitFor();
    expect(new URL(admin.url()).pathname).toBe('/admin/google');
    expect(new URL(admin.url()).search).toBe('');
    await admin
      .getByTestId('google-status')
      .getByText('connected as support@brightpath.io (OAuth)')
      .waitFor();
    const features = admin.getByRole('list', { name: 'Granted features' });
    await features.getByText(/Calendar .*: granted/).waitFor();
    await features.getByText(/Drive knowledge sync .*: granted/).waitFor();
    await features.getByText(/Gmail channel .*: not granted/).waitFor();
    await expect(admin.content()).resolves.not.toContain(oauth.client.clientSecret);
    await screenshot(admin, 'google-connect', 'connected');

    await admin.getByRole('button', { name: 'Test connection' }).click();
    await admin.getByRole('status').filter({ hasText: 'calendar: ok' }).waitFor();
    expect(calendar.state.requests.at(-1)).toMatchObject({ path: '/calendar/v3/freeBusy', status: 200 });
    expect(oauth.authorizations.at(-1)).toMatchObject({
      access_type: 'offline',
      code_challenge_method: 'S256',
    });

    const refresh = await api.context.vault.get('google', 'oauth_refresh_token');
    expect(refresh).toBeTruthy();
    await expect(admin.content()).resolves.not.toContain(refresh!);
  });
});
