import { generateKeyPairSync } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleFeatureScopes } from '../../connectors/google/connection.ts';
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from '../../test/fakes/google-calendar/server.ts';
import { type FakeGoogleOAuth, startFakeGoogleOAuth } from '../../test/fakes/google-oauth/server.ts';
import { createGoogleTokenBook } from '../../test/fakes/google-oauth/token-book.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';

const redirectUrl = 'https://switchboard.example/admin/google/callback';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const serviceEmail = 'sync@brightpath-support.iam.gserviceaccount.com';
const serviceKey = JSON.stringify({
  type: 'service_account',
  client_email: serviceEmail,
  private_key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

let api: TestApi;
let oauth: FakeGoogleOAuth;
let calendar: FakeGoogleCalendar;
let admin: Awaited<ReturnType<typeof loginAs>>;

function as(session: { cookie: string; csrfToken: string }, options: InjectOptions) {
  return api.app.inject({
    ...options,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, ...options.headers },
  });
}
const asAdmin = (options: InjectOptions) => as(admin, options);

/** "Connect Google", then the admin's browser at Google's consent page (auto-approved): code and state. */
async function consent(features: string[], session = admin) {
  const started = await as(session, {
    method: 'POST',
    url: '/api/admin/google/connect',
    payload: { features },
  });
  expect(started.statusCode).toBe(200);
  const authorizeUrl = new URL(started.json().authorizeUrl);
  const approved = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  const back = new URL(approved.headers.get('location')!);
  return { code: back.searchParams.get('code')!, state: back.searchParams.get('state')!, authorizeUrl };
}

const googleFields = async () =>
  (
    await api.database.pool.query<{ field: string }>(
      `SELECT field FROM connector_credentials WHERE connector_id = 'google' ORDER BY field`,
    )
  ).rows.map((row) => row.field);

beforeAll(async () => {
  const book = createGoogleTokenBook();
  oauth = await startFakeGoogleOAuth({
    book,
    client: { redirectUris: [redirectUrl] },
    user: { email: 'support@brightpath.io' },
    serviceAccounts: [
      {
        clientEmail: serviceEmail,
        clientId: '99887766',
        publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        delegatedScopes: [...googleFeatureScopes.calendar],
      },
    ],
  });
  calendar = await startFakeGoogleCalendar({ book });
  api = await createTestApi({
    seed: false,
    backendEnvironment: {
      GOOGLE_OAUTH_AUTH_URL: oauth.authUrl,
      GOOGLE_OAUTH_TOKEN_URL: oauth.tokenUrl,
      GOOGLE_OAUTH_REVOKE_URL: oauth.revokeUrl,
      GOOGLE_OAUTH_TOKENINFO_URL: oauth.tokenInfoUrl,
      GOOGLE_API_ROOT: calendar.url,
    },
  });
  admin = await loginAs(api.app, api.database.pool, 'admin');
}, 120_000);

afterAll(async () => {
  await api?.close();
  await oauth?.close();
  await calendar?.close();
});

beforeEach(async () => {
  await asAdmin({ method: 'DELETE', url: '/api/admin/google' });
});

describe(`Google Workspace from /admin (${testDatabaseKind()})`, () => {
  it('is not configured until the OAuth client is saved; the secret is never echoed', async () => {
    const before = await asAdmin({ method: 'GET', url: '/api/admin/google' });
    expect(before.json()).toMatchObject({ configured: false, mode: 'none', connected: false, features: [] });
    const refused = await asAdmin({
      method: 'POST',
      url: '/api/admin/google/connect',
      payload: { features: ['calendar'] },
    });
    expect(refused.statusCode).toBe(400);

    const badId = await asAdmin({
      method: 'PUT',
      url: '/api/admin/google/oauth-client',
      payload: { clientId: 'nope', clientSecret: 'x'.repeat(20), redirectUrl },
    });
    expect(badId.statusCode).toBe(400);
    const saved = await asAdmin({
      method: 'PUT',
      url: '/api/admin/google/oauth-client',
      payload: { clientId: oauth.client.clientId, clientSecret: oauth.client.clientSecret, redirectUrl },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({
      configured: true,
      client: { clientId: oauth.client.clientId, redirectUrl },
    });
    expect(saved.body).not.toContain(oauth.client.clientSecret);
    const audit = await api.database.pool.query(
      `SELECT detail FROM audit_log WHERE operation = 'admin.google_oauth_client'`,
    );
    expect(JSON.stringify(audit.rows)).not.toContain(oauth.client.clientSecret);
  });

  it('connects the chosen features: state and verifier server-side, tokens encrypted, audited', async () => {
    const { code, state, authorizeUrl } = await consent(['calendar', 'drive']);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('access_type')).toBe('offline');
    expect(authorizeUrl.toString()).not.toContain('code_verifier');
    const states = await api.database.pool.query(
      `SELECT state_hash FROM oauth_states WHERE provider = 'google'`,
    );
    expect(JSON.stringify(states.rows)).not.toContain(state);

    const callback = await asAdmin({
      method: 'POST',
      url: '/api/admin/google/callback',
      payload: { code, state },
    });
    expect(callback.statusCode).toBe(200);
    expect(callback.json()).toMatchObject({
      connected: true,
      mode: 'oauth',
      account: 'support@brightpath.io',
      features: ['calendar', 'drive'],
      state: 'ok',
    });
    expect(callback.json().featureStates).toContainEqual({
      feature: 'gmail_channel',
      granted: false,
      scopes: [...googleFeatureScopes.gmail_channel],
    });
    expect(await googleFields()).toEqual(
      expect.arrayContaining([
        'oauth_access_token',
        'oauth_refresh_token',
        'granted_scopes',
        'account_email',
      ]),
    );
    // The pending verifier is gone once used.
    expect(await api.context.vault.list('google_oauth_pending')).toEqual([]);
    const refresh = (await api.context.vault.get('google', 'oauth_refresh_token'))!;
    const access = (await api.context.vault.get('google', 'oauth_access_token'))!;
    const audit = await api.database.pool.query(
      `SELECT detail FROM audit_log WHERE connector_id = 'google' AND operation = 'admin.connect_oauth'`,
    );
    expect(audit.rows.length).toBeGreaterThan(0);
    for (const text of [
      callback.body,
      JSON.stringify(audit.rows),
      (await asAdmin({ method: 'GET', url: '/api/admin/google' })).body,
    ]) {
      expect(text).not.toContain(refresh);
      expect(text).not.toContain(access);
    }

    // The runtime's connection is the one the features use.
    expect(await api.context.google!.accessToken('calendar')).toBe(access);
    await expect(api.context.google!.accessToken('gmail_channel')).rejects.toMatchObject({
      kind: 'forbidden',
    });

    const test = await asAdmin({ method: 'POST', url: '/api/admin/google/test' });
    expect(test.json()).toMatchObject({
      ok: true,
      results: [
        { feature: 'calendar', ok: true, detail: 'free/busy of the primary calendar readable' },
        { feature: 'drive', ok: true },
      ],
    });
    expect(calendar.state.requests.at(-1)).toMatchObject({ path: '/calendar/v3/freeBusy', status: 200 });
  });

  it('refuses a reused state, an expired one and one from another session: 400, nothing stored', async () => {
    const exchangesBefore = oauth.grants.filter((grant) => grant.grantType === 'authorization_code').length;
    const first = await consent(['calendar']);
    const other = await loginAs(api.app, api.database.pool, 'admin');
    const fromOther = await as(other, { method: 'POST', url: '/api/admin/google/callback', payload: first });
    expect(fromOther.statusCode).toBe(400);
    // That attempt used the state up: the right session cannot use it afterwards either.
    const reused = await asAdmin({ method: 'POST', url: '/api/admin/google/callback', payload: first });
    expect(reused.statusCode).toBe(400);

    const late = await consent(['calendar']);
    await api.database.pool.query(
      `UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE provider = 'google'`,
    );
    const expired = await asAdmin({ method: 'POST', url: '/api/admin/google/callback', payload: late });
    expect(expired.statusCode).toBe(400);
    const unknown = await asAdmin({
      method: 'POST',
      url: '/api/admin/google/callback',
      payload: { code: late.code, state: 'x'.repeat(43) },
    });
    expect(unknown.statusCode).toBe(400);
    expect(await googleFields()).toEqual(['oauth_client_id', 'oauth_client_secret', 'oauth_redirect_url']);
    // Google was never asked to exchange any of these codes.
    expect(oauth.grants.filter((grant) => grant.grantType === 'authorization_code')).toHaveLength(
      exchangesBefore,
    );
  });

  it('surfaces Google refusing the code (invalid_grant) as 400 and stores nothing', async () => {
    const { code, state } = await consent(['calendar']);
    // Spend the code first, as a replayed redirect would.
    const exchanged = await fetch(oauth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: 'a'.repeat(43),
        client_id: oauth.client.clientId,
        client_secret: oauth.client.clientSecret,
        redirect_uri: redirectUrl,
      }),
    });
    expect(((await exchanged.json()) as { error: string }).error).toBe('invalid_grant');
    const callback = await asAdmin({
      method: 'POST',
      url: '/api/admin/google/callback',
      payload: { code, state },
    });
    expect(callback.statusCode).toBe(400);
    expect(callback.json().error.message).toContain('invalid_grant');
    expect(callback.body).not.toContain(code);
    expect(await googleFields()).not.toContain('oauth_refresh_token');
  });

  it('a token endpoint outage during the callback answers 503 and stores nothing', async () => {
    const { code, state } = await consent(['calendar']);
    oauth.failNext(503, {}, { endpoint: 'token' });
    const callback = await asAdmin({
      method: 'POST',
      url: '/api/admin/google/callback',
      payload: { code, state },
    });
    expect(callback.statusCode).toBe(503);
    expect(await googleFields()).not.toContain('oauth_refresh_token');
  });

  it('disconnecting revokes at Google, forgets the tokens and is audited', async () => {
    const { code, state } = await consent(['calendar']);
    await asAdmin({ method: 'POST', url: '/api/admin/google/callback', payload: { code, state } });
    const refresh = (await api.context.vault.get('google', 'oauth_refresh_token'))!;
    const disconnected = await asAdmin({ method: 'DELETE', url: '/api/admin/google' });
    expect(disconnected.json()).toMatchObject({ revocation: 'revoked', connected: false, mode: 'none' });
    expect(oauth.refreshTokenState(refresh)).toBe('revoked');
    expect(await googleFields()).not.toContain('oauth_refresh_token');
    await expect(api.context.google!.accessToken('calendar')).rejects.toMatchObject({ kind: 'auth_expired' });
    const audit = await api.database.pool.query(
      `SELECT detail FROM audit_log WHERE connector_id = 'google' AND operation = 'admin.disconnect_oauth' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0].detail).toMatchObject({ revocation: 'revoked' });
  });

  it('a revoked grant shows as invalid with the reason, and the features fail auth_expired', async () => {
    const { code, state } = await consent(['calendar']);
    await asAdmin({ method: 'POST', url: '/api/admin/google/callback', payload: { code, state } });
    const refresh = (await api.context.vault.get('google', 'oauth_refresh_token'))!;
    const access = (await api.context.vault.get('google', 'oauth_access_token'))!;
    oauth.revokeRefreshToken(refresh);
    api.context.google!.invalidate(access);
    await expect(api.context.google!.accessToken('calendar')).rejects.toMatchObject({ kind: 'auth_expired' });
    const status = await asAdmin({ method: 'GET', url: '/api/admin/google' });
    expect(status.json()).toMatchObject({
      state: 'invalid',
      detail: 'Google refused the stored authorization (revoked?): reconnect',
      lastError: { fatal: true },
    });
    const test = await asAdmin({ method: 'POST', url: '/api/admin/google/test' });
    expect(test.json()).toMatchObject({ ok: false, results: [{ feature: 'calendar', ok: false }] });
  });

  it('takes a service account key (never echoed) with an impersonated user', async () => {
    const refused = await asAdmin({
      method: 'PUT',
      url: '/api/admin/google/service-account',
      payload: { key: '{"type":"user"}'.padEnd(30, ' '), subject: null, features: ['calendar'] },
    });
    expect(refused.statusCode).toBe(400);
    const saved = await asAdmin({
      method: 'PUT',
      url: '/api/admin/google/service-account',
      payload: { key: serviceKey, subject: 'maya@brightpath.io', features: ['calendar'] },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({
      mode: 'service_account',
      account: 'maya@brightpath.io',
      features: ['calendar'],
    });
    expect(saved.body).not.toContain('PRIVATE KEY');
    const audit = await api.database.pool.query(
      `SELECT detail FROM audit_log WHERE operation = 'admin.google_service_account'`,
    );
    expect(JSON.stringify(audit.rows)).not.toContain('PRIVATE KEY');
    const test = await asAdmin({ method: 'POST', url: '/api/admin/google/test' });
    expect(test.json()).toMatchObject({ ok: true });
    expect(oauth.grants.at(-1)).toMatchObject({ subject: 'maya@brightpath.io', status: 200 });
  });

  it('is for admins only', async () => {
    const agent = await loginAs(api.app, api.database.pool, 'agent');
    expect((await as(agent, { method: 'GET', url: '/api/admin/google' })).statusCode).toBe(403);
  });
});
