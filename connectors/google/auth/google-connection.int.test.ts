import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { type FakeGoogleOAuth, startFakeGoogleOAuth } from '../../../test/fakes/google-oauth/server.ts';
import { createGoogleTokenBook } from '../../../test/fakes/google-oauth/token-book.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { ConnectorError } from '../../core/errors.ts';
import { parseMasterKeys } from '../../core/master-key.ts';
import { type CredentialVault, createVault } from '../../core/vault.ts';
import { type GoogleFeature, googleFeatureScopes } from '../connection.ts';
import { createGoogleConnection, type GoogleWorkspace, refusedAuthorization } from './google-connection.ts';

/** A fixed, public master key: tests only. */
const testMasterKey = 'test:W7QM5WDe06FG8fxWtmaj6vmq1ABctRNHHxQmyl1N1NE=';
const redirectUri = 'https://switchboard.example/admin/google/callback';

/** Real time moved forward by the tests (google-auth-library computes expiry from the real clock). */
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const serviceEmail = 'switchboard-sync@brightpath-support.iam.gserviceaccount.com';
const serviceKeyJson = JSON.stringify({
  type: 'service_account',
  client_email: serviceEmail,
  client_id: '1122334455',
  private_key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

let database: Database;
let vault: CredentialVault;
let fake: FakeGoogleOAuth;
let google: GoogleWorkspace;

const grantsOf = (type: string) => fake.grants.filter((grant) => grant.grantType === type).length;

/** The admin's consent, start to finish: URL, the fake's auto-consent, the code exchange. */
async function connect(features: GoogleFeature[]) {
  const client = (await google.oauthClient())!;
  const { url, codeVerifier } = await client.authorization(features, 'state-for-test-0123456789');
  const consent = await fetch(url, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location')!);
  const grant = await client.exchange(back.searchParams.get('code')!, codeVerifier);
  await google.connect(grant);
  return { url: new URL(url), grant };
}

beforeAll(async () => {
  database = await createTestDatabase();
  vault = createVault({ db: database.pool, masterKeys: parseMasterKeys(testMasterKey, 'test key') });
  fake = await startFakeGoogleOAuth({
    book: createGoogleTokenBook({ now: () => now().getTime() }),
    client: { redirectUris: [redirectUri] },
    user: { email: 'support@brightpath.io' },
    serviceAccounts: [
      {
        clientEmail: serviceEmail,
        clientId: '1122334455',
        publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        delegatedScopes: [...googleFeatureScopes.calendar],
      },
    ],
  });
  google = createGoogleConnection({
    vault,
    env: { clientId: fake.client.clientId, clientSecret: fake.client.clientSecret, redirectUrl: redirectUri },
    endpoints: {
      authUrl: fake.authUrl,
      tokenUrl: fake.tokenUrl,
      revokeUrl: fake.revokeUrl,
      tokenInfoUrl: fake.tokenInfoUrl,
      rootUrl: 'http://127.0.0.1:9/',
    },
    clock: now,
  });
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await database?.close();
});

beforeEach(async () => {
  offsetMs = 0;
  await google.disconnect();
});

describe(`the Google Workspace connection (${testDatabaseKind()})`, () => {
  it('asks for offline access with PKCE S256, the features’ scopes and the identity scopes', async () => {
    const { url, grant } = await connect(['calendar']);
    expect(url.origin + url.pathname).toBe(fake.authUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      code_challenge_method: 'S256',
      response_type: 'code',
      client_id: fake.client.clientId,
      redirect_uri: redirectUri,
    });
    expect(url.searchParams.get('scope')!.split(' ').sort()).toEqual(
      ['email', 'openid', ...googleFeatureScopes.calendar].sort(),
    );
    expect(grant.account).toBe('support@brightpath.io');
    expect(await google.mode()).toBe('oauth');
    expect(await google.features()).toEqual(['calendar']);
    expect(await google.account()).toBe('support@brightpath.io');
    expect(await google.status()).toEqual({ state: 'ok' });
    const token = await google.accessToken('calendar');
    expect(fake.book.check(`Bearer ${token}`, googleFeatureScopes.calendar).ok).toBe(true);
  });

  it('refuses a feature the grant does not cover with forbidden, without asking Google', async () => {
    await connect(['calendar']);
    const before = fake.grants.length;
    await expect(google.accessToken('drive')).rejects.toMatchObject({ kind: 'forbidden', retryable: false });
    expect(fake.grants.length).toBe(before);
  });

  it('surfaces a wrong PKCE verifier as Google’s invalid_grant and stores nothing', async () => {
    const client = (await google.oauthClient())!;
    const { url } = await client.authorization(['calendar'], 'state-for-test-0123456789');
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const other = await client.authorization(['calendar'], 'another-state-0123456789');
    const failure = await client.exchange(back.searchParams.get('code')!, other.codeVerifier).catch((e) => e);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({
      kind: 'auth_expired',
      message: expect.stringContaining('invalid_grant'),
    });
    expect(failure.message).not.toContain(back.searchParams.get('code')!);
    expect(await vault.list('google')).toEqual([]);
  });

  it('refreshes a minute before expiry, once, and keeps the refresh token', async () => {
    await connect(['calendar']);
    const first = await google.accessToken('calendar');
    expect(await google.accessToken('calendar')).toBe(first);
    const refreshesBefore = grantsOf('refresh_token');
    offsetMs = 3599_000 - 30_000; // 30 s before expiry: inside the 60 s margin
    const second = await google.accessToken('calendar');
    expect(second).not.toBe(first);
    expect(grantsOf('refresh_token')).toBe(refreshesBefore + 1);
    expect(fake.book.check(`Bearer ${second}`, googleFeatureScopes.calendar).ok).toBe(true);
  });

  it('after a 401, concurrent callers share one refresh', async () => {
    await connect(['calendar']);
    const refused = await google.accessToken('calendar');
    fake.book.revoke(refused);
    google.invalidate(refused);
    const before = grantsOf('refresh_token');
    const tokens = await Promise.all(Array.from({ length: 6 }, () => google.accessToken('calendar')));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(refused);
    expect(grantsOf('refresh_token')).toBe(before + 1);
  });

  it('a revoked refresh token makes the status invalid and every feature fail auth_expired', async () => {
    const { grant } = await connect(['calendar', 'drive']);
    fake.revokeRefreshToken(grant.refreshToken);
    google.invalidate(grant.accessToken);
    await expect(google.accessToken('calendar')).rejects.toMatchObject({
      kind: 'auth_expired',
      message: refusedAuthorization,
    });
    expect(await google.status()).toEqual({ state: 'invalid', detail: refusedAuthorization });
    expect(await google.lastError()).toMatchObject({
      fatal: true,
      message: expect.stringContaining('invalid_grant'),
    });
    const asked = fake.grants.length;
    await expect(google.accessToken('drive')).rejects.toMatchObject({ kind: 'auth_expired' });
    expect(fake.grants.length).toBe(asked); // not asked again until an admin reconnects

    await connect(['calendar']);
    expect(await google.status()).toEqual({ state: 'ok' });
    expect(await google.accessToken('calendar')).toMatch(/^ya29\./);
  });

  it('a passing token-endpoint failure is transient or rate limited, recorded, and not fatal', async () => {
    const { grant } = await connect(['calendar']);
    google.invalidate(grant.accessToken);
    fake.failNext(503, {}, { endpoint: 'token' });
    await expect(google.accessToken('calendar')).rejects.toMatchObject({ kind: 'transient' });
    expect(await google.status()).toEqual({ state: 'ok' });
    expect(await google.lastError()).toMatchObject({ fatal: false, kind: 'transient' });
    fake.failNext(429, { 'retry-after': '12' }, { endpoint: 'token' });
    await expect(google.accessToken('calendar')).rejects.toMatchObject({ kind: 'rate_limited' });
    fake.failNext('lost', {}, { endpoint: 'token' });
    await expect(google.accessToken('calendar')).rejects.toMatchObject({ kind: 'transient' });
    expect(await google.accessToken('calendar')).toMatch(/^ya29\./);
    expect(await google.lastError()).toBeNull();
  });

  it('disconnecting revokes the grant at Google and forgets every token', async () => {
    const { grant } = await connect(['calendar']);
    expect(await google.disconnect()).toEqual({ revocation: 'revoked' });
    expect(fake.refreshTokenState(grant.refreshToken)).toBe('revoked');
    expect(fake.book.check(`Bearer ${grant.accessToken}`, []).ok).toBe(false);
    expect(await vault.list('google')).toEqual([]);
    expect(await google.mode()).toBe('none');
    await expect(google.accessToken('calendar')).rejects.toMatchObject({ kind: 'auth_expired' });
    expect(await google.disconnect()).toEqual({ revocation: 'not_connected' });
  });

  it('disconnecting still forgets the tokens when Google cannot be reached, and says so', async () => {
    await connect(['calendar']);
    fake.failNext(503, {}, { endpoint: 'revoke' });
    expect(await google.disconnect()).toEqual({ revocation: 'failed' });
    expect(await vault.list('google')).toEqual([]);
  });

  it('a service account with domain-wide delegation gets tokens for the impersonated user', async () => {
    await google.useServiceAccount({
      keyJson: serviceKeyJson,
      subject: 'maya@brightpath.io',
      features: ['calendar'],
    });
    expect(await google.mode()).toBe('service_account');
    expect(await google.account()).toBe('maya@brightpath.io');
    const token = await google.accessToken('calendar');
    expect(fake.book.check(`Bearer ${token}`, googleFeatureScopes.calendar)).toMatchObject({
      ok: true,
      token: { subject: 'maya@brightpath.io' },
    });
    expect(fake.grants.at(-1)).toMatchObject({
      grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      subject: 'maya@brightpath.io',
      status: 200,
    });
    await expect(google.accessToken('drive')).rejects.toMatchObject({ kind: 'forbidden' });
    // After a 401 the next call asks Google for a fresh token.
    const before = grantsOf('urn:ietf:params:oauth:grant-type:jwt-bearer');
    google.invalidate(token);
    expect(await google.accessToken('calendar')).not.toBe(token);
    expect(grantsOf('urn:ietf:params:oauth:grant-type:jwt-bearer')).toBe(before + 1);
  });

  it('a service account without delegation for the scopes is refused: status invalid', async () => {
    await google.useServiceAccount({
      keyJson: serviceKeyJson,
      subject: 'maya@brightpath.io',
      features: ['drive'],
    });
    await expect(google.accessToken('drive')).rejects.toMatchObject({
      kind: 'auth_expired',
      message: expect.stringContaining('unauthorized_client'),
    });
    expect(await google.status()).toMatchObject({ state: 'invalid' });
  });
});
