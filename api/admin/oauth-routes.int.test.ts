import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHubSpot, startFakeHubSpot } from '../../test/fakes/hubspot/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';

let api: TestApi;
let fake: FakeHubSpot;
let admin: Awaited<ReturnType<typeof loginAs>>;
const redirectUri = 'https://switchboard.example/admin?connect=hubspot';

function as(session: { cookie: string; csrfToken: string }, options: InjectOptions) {
  return api.app.inject({
    ...options,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, ...options.headers },
  });
}
const asAdmin = (options: InjectOptions) => as(admin, options);

/** "Connect HubSpot", then the admin's browser at HubSpot's install page (auto-approved): code and state back. */
async function authorize(session = admin): Promise<{ code: string; state: string; authorizeUrl: URL }> {
  const started = await as(session, { method: 'POST', url: '/api/admin/oauth/hubspot/start' });
  expect(started.statusCode).toBe(200);
  const authorizeUrl = new URL(started.json().authorizeUrl);
  const approved = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  const back = new URL(approved.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe('https://switchboard.example/admin');
  return { code: back.searchParams.get('code')!, state: back.searchParams.get('state')!, authorizeUrl };
}

const storedFields = async () =>
  (
    await api.database.pool.query<{ field: string }>(
      `SELECT field FROM connector_credentials WHERE connector_id = 'crm' ORDER BY field`,
    )
  ).rows.map((row) => row.field);

beforeAll(async () => {
  api = await createTestApi();
  admin = await loginAs(api.app, api.database.pool, 'admin');
  fake = await startFakeHubSpot();
  // The OAuth app chosen as an admin does it ("Save and switch"): nothing is connected yet.
  const chosen = await asAdmin({
    method: 'PUT',
    url: '/api/admin/backends/crm',
    payload: {
      backend: 'hubspot',
      settings: {
        api_base: fake.url,
        authorize_url: `${fake.url}/oauth/authorize`,
        client_id: fake.oauth.app.clientId,
        redirect_uri: redirectUri,
      },
      secrets: { client_secret: fake.oauth.app.clientSecret },
    },
  });
  expect(chosen.statusCode).toBe(200);
  expect(chosen.body).not.toContain(fake.oauth.app.clientSecret);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await fake?.close();
});

describe('connecting HubSpot through its OAuth app', () => {
  it('shows an OAuth app that is configured but not connected', async () => {
    const status = await asAdmin({ method: 'GET', url: '/api/admin/oauth/hubspot' });
    expect(status.json()).toEqual({ configured: true, connected: false, connectedAt: null, active: true });
  });

  it('connects: one-time state, HubSpot install page, code exchanged, tokens only encrypted and never echoed', async () => {
    const { code, state, authorizeUrl } = await authorize();
    expect(authorizeUrl.pathname).toBe('/oauth/authorize');
    expect(Object.fromEntries(authorizeUrl.searchParams)).toMatchObject({
      client_id: fake.oauth.app.clientId,
      redirect_uri: redirectUri,
      scope: expect.stringContaining('crm.objects.contacts.read'),
      state,
    });
    const stored = await api.database.pool.query('SELECT state_hash FROM oauth_states');
    expect(JSON.stringify(stored.rows)).not.toContain(state); // only its hash

    const callback = await asAdmin({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code, state },
    });
    expect(callback.statusCode).toBe(200);
    expect(callback.json()).toMatchObject({ configured: true, connected: true, active: true });
    expect(fake.oauth.grants).toEqual([{ grantType: 'authorization_code', status: 200 }]);
    expect(await storedFields()).toEqual(
      expect.arrayContaining(['hubspot_client_secret', 'oauth_access_token', 'oauth_refresh_token']),
    );

    // The tokens the fake issued are nowhere in what the API answers, the audit row or the ciphertexts.
    const issued = await api.context.vault.get('crm', 'oauth_refresh_token');
    const access = await api.context.vault.get('crm', 'oauth_access_token');
    expect(issued).toMatch(/^refresh-fake-/);
    expect(fake.oauth.accessTokenState(access!)).toBe('valid');
    const views = [
      callback.body,
      (await asAdmin({ method: 'GET', url: '/api/admin/oauth/hubspot' })).body,
      (await asAdmin({ method: 'GET', url: '/api/admin/backends' })).body,
    ];
    const audit = await api.database.pool.query(
      `SELECT detail FROM audit_log WHERE operation = 'admin.connect_oauth'`,
    );
    expect(audit.rows).toHaveLength(1);
    const ciphertexts = await api.database.pool.query<{ ciphertext: Buffer }>(
      `SELECT ciphertext FROM connector_credentials WHERE connector_id = 'crm'`,
    );
    for (const text of [
      ...views,
      JSON.stringify(audit.rows),
      ...ciphertexts.rows.map((row) => row.ciphertext.toString('utf8')),
    ]) {
      expect(text).not.toContain(issued!);
      expect(text).not.toContain(access!);
      expect(text).not.toContain(code);
      expect(text).not.toContain(fake.oauth.app.clientSecret);
    }

    // The state was used up: the same callback again is refused and changes nothing.
    const again = await asAdmin({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code, state },
    });
    expect(again.statusCode).toBe(400);
    expect(fake.oauth.grants).toHaveLength(1);
    expect(await api.context.vault.get('crm', 'oauth_refresh_token')).toBe(issued);
  });

  it('refuses a forged, an expired or another session’s state, and stores nothing', async () => {
    await asAdmin({ method: 'DELETE', url: '/api/admin/oauth/hubspot' });
    const grantsBefore = fake.oauth.grants.length;

    const { code } = await authorize();
    const forged = await asAdmin({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code, state: 'forged-state-0123456789abcdef' },
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.message).toMatch(/unknown, expired or already used/);

    const expired = await authorize();
    await api.database.pool.query(`UPDATE oauth_states SET expires_at = now() - interval '1 second'`);
    const late = await asAdmin({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code: expired.code, state: expired.state },
    });
    expect(late.statusCode).toBe(400);

    // Started in one admin session, finished in another (a stolen callback link): refused.
    const other = await loginAs(api.app, api.database.pool, 'admin');
    const elsewhere = await authorize(admin);
    const stolen = await as(other, {
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code: elsewhere.code, state: elsewhere.state },
    });
    expect(stolen.statusCode).toBe(400);

    expect(fake.oauth.grants.length).toBe(grantsBefore); // no code was ever exchanged
    expect(await storedFields()).not.toContain('oauth_refresh_token');
    const status = await asAdmin({ method: 'GET', url: '/api/admin/oauth/hubspot' });
    expect(status.json()).toMatchObject({ connected: false });
  });

  it('reports a code HubSpot refuses, and stores nothing', async () => {
    const { state } = await authorize();
    const refused = await asAdmin({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code: 'code-not-issued', state },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/BAD_AUTH_CODE/);
    expect(await storedFields()).not.toContain('oauth_refresh_token');
  });

  it('disconnects: the refresh token is deleted at HubSpot, then here; the app settings kept', async () => {
    const { code, state } = await authorize();
    const connected = await asAdmin({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code, state },
    });
    expect(connected.json().connected).toBe(true);
    const refreshToken = await api.runtime.context.vault.get('crm', 'oauth_refresh_token');
    expect(refreshToken && fake.oauth.knowsRefreshToken(refreshToken)).toBe(true);
    const gone = await asAdmin({ method: 'DELETE', url: '/api/admin/oauth/hubspot' });
    expect(gone.statusCode).toBe(200);
    expect(gone.json()).toMatchObject({ configured: true, connected: false, revocation: 'revoked' });
    expect(fake.oauth.knowsRefreshToken(refreshToken!)).toBe(false);
    expect(await storedFields()).toEqual(['hubspot_client_secret']);
    // The token is the path of HubSpot's endpoint: it is in no log line, audit row or recorded request.
    const audit = await api.database.pool.query<{ detail: Record<string, unknown>; text: string }>(
      `SELECT detail, row_to_json(a)::text AS text FROM audit_log a
        WHERE operation = 'admin.disconnect_oauth' ORDER BY id`,
    );
    expect(audit.rows.at(-1)?.detail).toMatchObject({ backend: 'hubspot', revocation: 'revoked' });
    expect(JSON.stringify(audit.rows)).not.toContain(refreshToken);
    expect(JSON.stringify(fake.requests)).not.toContain(refreshToken);
    // Nothing left to revoke the second time.
    const again = await asAdmin({ method: 'DELETE', url: '/api/admin/oauth/hubspot' });
    expect(again.json().revocation).toBe('not_connected');
  });

  it('disconnects here even when HubSpot cannot delete the token, and says so', async () => {
    const { code, state } = await authorize();
    await asAdmin({ method: 'POST', url: '/api/admin/oauth/hubspot/callback', payload: { code, state } });
    const refreshToken = await api.runtime.context.vault.get('crm', 'oauth_refresh_token');
    // HubSpot already forgot it (the app was uninstalled in the portal): nothing to delete there.
    fake.oauth.revokeAll();
    const uninstalled = await asAdmin({ method: 'DELETE', url: '/api/admin/oauth/hubspot' });
    expect(uninstalled.json()).toMatchObject({ connected: false, revocation: 'already_invalid' });

    const second = await authorize();
    await asAdmin({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/callback',
      payload: { code: second.code, state: second.state },
    });
    const unreachable = await startFakeHubSpot();
    await unreachable.close();
    // HubSpot unreachable: the settings now point at a closed port.
    const pointed = await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/crm',
      payload: {
        backend: 'hubspot',
        settings: {
          api_base: unreachable.url,
          authorize_url: `${fake.url}/oauth/authorize`,
          client_id: fake.oauth.app.clientId,
          redirect_uri: redirectUri,
        },
        secrets: {},
      },
    });
    expect(pointed.statusCode).toBe(200);
    const failed = await asAdmin({ method: 'DELETE', url: '/api/admin/oauth/hubspot' });
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ connected: false, revocation: 'failed' });
    expect(await storedFields()).toEqual(['hubspot_client_secret']);
    expect(refreshToken).not.toBeNull();
    // Back to the reachable fake for the tests that follow.
    await asAdmin({
      method: 'PUT',
      url: '/api/admin/backends/crm',
      payload: {
        backend: 'hubspot',
        settings: {
          api_base: fake.url,
          authorize_url: `${fake.url}/oauth/authorize`,
          client_id: fake.oauth.app.clientId,
          redirect_uri: redirectUri,
        },
        secrets: {},
      },
    });
  });

  it('is refused to anyone but an admin, and a write without the CSRF token', async () => {
    const anonymous = await api.app.inject({ method: 'POST', url: '/api/admin/oauth/hubspot/start' });
    expect(anonymous.statusCode).toBe(401);
    const agent = await loginAs(api.app, api.database.pool, 'agent');
    const asAgent = await as(agent, { method: 'POST', url: '/api/admin/oauth/hubspot/start' });
    expect(asAgent.statusCode).toBe(403);
    const noCsrf = await api.app.inject({
      method: 'POST',
      url: '/api/admin/oauth/hubspot/start',
      headers: { cookie: admin.cookie },
    });
    expect(noCsrf.statusCode).toBe(403);
  });
});
