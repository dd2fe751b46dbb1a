import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGoogleOAuth, googleTokenAudience, startFakeGoogleOAuth } from './server.ts';

const redirectUri = 'https://switchboard.example/admin/google/callback';
const calendarScope = 'https://www.googleapis.com/auth/calendar.events';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const serviceEmail = 'switchboard@project.iam.gserviceaccount.com';

let fake: FakeGoogleOAuth;
beforeAll(async () => {
  fake = await startFakeGoogleOAuth({
    client: { redirectUris: [redirectUri] },
    user: { email: 'support@brightpath.io' },
    serviceAccounts: [
      {
        clientEmail: serviceEmail,
        clientId: '1234567890',
        publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        delegatedScopes: [calendarScope],
      },
    ],
  });
});
afterAll(async () => {
  await fake?.close();
});

const verifier = () => randomBytes(48).toString('base64url');
const challengeOf = (value: string) => createHash('sha256').update(value).digest('base64url');

async function consent(params: Record<string, string> = {}, codeVerifier = verifier()) {
  const url = new URL(fake.authUrl);
  const query = {
    client_id: fake.client.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: `openid email ${calendarScope}`,
    access_type: 'offline',
    code_challenge: challengeOf(codeVerifier),
    code_challenge_method: 'S256',
    state: 'state-123',
    ...params,
  };
  for (const [key, value] of Object.entries(query)) if (value !== '') url.searchParams.set(key, value);
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, back: location ? new URL(location) : null, codeVerifier };
}

const post = async (path: string, form: Record<string, string>) => {
  const response = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
};

const exchange = (code: string, codeVerifier: string, extra: Record<string, string> = {}) =>
  post('/token', {
    grant_type: 'authorization_code',
    code,
    code_verifier: codeVerifier,
    client_id: fake.client.clientId,
    client_secret: fake.client.clientSecret,
    redirect_uri: redirectUri,
    ...extra,
  });

function signedAssertion(claims: Record<string, unknown>, privateKey = keys.privateKey) {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(
    JSON.stringify({ iss: serviceEmail, aud: googleTokenAudience, iat: now, exp: now + 3600, ...claims }),
  ).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${body}`).sign(privateKey, 'base64url');
  return `${header}.${body}.${signature}`;
}

describe('fake Google OAuth', () => {
  it('consents for the test user and redirects back with code, state and the granted scopes', async () => {
    const { status, back } = await consent();
    expect(status).toBe(302);
    expect(`${back!.origin}${back!.pathname}`).toBe(redirectUri);
    expect(back!.searchParams.get('state')).toBe('state-123');
    expect(back!.searchParams.get('code')).toMatch(/^4\/0A/);
    expect(back!.searchParams.get('scope')!.split(' ')).toContain(calendarScope);
  });

  it('shows an error page (no redirect) for an unknown client or an unregistered redirect URI', async () => {
    expect((await consent({ client_id: 'nobody.apps.googleusercontent.com' })).status).toBe(400);
    const mismatch = await consent({ redirect_uri: 'https://evil.example/cb' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.back).toBeNull();
  });

  it('requires PKCE with S256 and a scope; refuses another response type by redirecting', async () => {
    expect((await consent({ code_challenge_method: 'plain' })).status).toBe(400);
    expect((await consent({ code_challenge: '' })).status).toBe(400);
    expect((await consent({ scope: '' })).status).toBe(400);
    const token = await consent({ response_type: 'token' });
    expect(token.back!.searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('exchanges a code once, with the verifier and the client secret; a refresh token only on first offline consent', async () => {
    const first = await consent({ prompt: 'consent' });
    const code = first.back!.searchParams.get('code')!;
    const wrongVerifier = await exchange(code, verifier());
    expect(wrongVerifier).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' },
    });
    // The code was spent by that attempt: it is one-time whatever the outcome.
    expect((await exchange(code, first.codeVerifier)).body.error).toBe('invalid_grant');

    const second = await consent({ prompt: 'consent' });
    const badSecret = await exchange(second.back!.searchParams.get('code')!, second.codeVerifier, {
      client_secret: 'GOCSPX-wrong',
    });
    expect(badSecret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

    const third = await consent({ prompt: 'consent' });
    const ok = await exchange(third.back!.searchParams.get('code')!, third.codeVerifier);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3599,
      refresh_token: expect.stringMatching(/^1\/\//),
    });
    expect(fake.book.check(`Bearer ${ok.body.access_token}`, [calendarScope]).ok).toBe(true);

    // Without prompt=consent, the same user's next consent yields no new refresh token.
    const again = await consent();
    const noRefresh = await exchange(again.back!.searchParams.get('code')!, again.codeVerifier);
    expect(noRefresh.status).toBe(200);
    expect(noRefresh.body.refresh_token).toBeUndefined();

    // Refresh, then revoke: the grant ends and every token of it stops working.
    const refreshed = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: ok.body.refresh_token,
      client_id: fake.client.clientId,
      client_secret: fake.client.clientSecret,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope.split(' ')).toContain(calendarScope);
    const revoked = await fetch(`${fake.revokeUrl}?token=${encodeURIComponent(ok.body.refresh_token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(revoked.status).toBe(200);
    expect(fake.book.check(`Bearer ${refreshed.body.access_token}`, []).ok).toBe(false);
    const afterRevoke = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: ok.body.refresh_token,
      client_id: fake.client.clientId,
      client_secret: fake.client.clientSecret,
    });
    expect(afterRevoke).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await post('/revoke', { token: ok.body.refresh_token })).body.error).toBe('invalid_token');
  });

  it('tells who a token is for (userinfo, tokeninfo) and refuses an unknown token', async () => {
    const { back, codeVerifier } = await consent({ prompt: 'consent' });
    const tokens = (await exchange(back!.searchParams.get('code')!, codeVerifier)).body;
    const userinfo = await fetch(fake.userinfoUrl, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await userinfo.json()).toMatchObject({ email: 'support@brightpath.io', email_verified: true });
    const info = await post('/tokeninfo', { access_token: tokens.access_token });
    expect(info.body).toMatchObject({ email: 'support@brightpath.io', access_type: 'offline' });
    expect(info.body.scope.split(' ')).toContain(calendarScope);
    const unknown = await fetch(fake.userinfoUrl, { headers: { authorization: 'Bearer nope' } });
    expect(unknown.status).toBe(401);
  });

  it('grants only some scopes when the user unticks them (granular consent)', async () => {
    fake.consent.grantOnly = ['openid', 'email'];
    try {
      const { back } = await consent({ prompt: 'consent' });
      expect(back!.searchParams.get('scope')).toBe('openid email');
    } finally {
      fake.consent.grantOnly = null;
    }
    fake.consent.deny = true;
    try {
      expect((await consent()).back!.searchParams.get('error')).toBe('access_denied');
    } finally {
      fake.consent.deny = false;
    }
  });

  it('accepts a service account JWT signed with its key, impersonating a user only with delegation', async () => {
    const grant = (claims: Record<string, unknown>, key = keys.privateKey) =>
      post('/token', {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: signedAssertion(claims, key),
      });
    const delegated = await grant({ scope: calendarScope, sub: 'maya@brightpath.io' });
    expect(delegated.status).toBe(200);
    expect(fake.book.check(`Bearer ${delegated.body.access_token}`, [calendarScope])).toMatchObject({
      ok: true,
      token: { subject: 'maya@brightpath.io' },
    });
    expect(fake.grants.at(-1)).toMatchObject({ subject: 'maya@brightpath.io', status: 200 });
    const notDelegated = await grant({
      scope: 'https://www.googleapis.com/auth/drive.readonly',
      sub: 'maya@brightpath.io',
    });
    expect(notDelegated).toMatchObject({ status: 401, body: { error: 'unauthorized_client' } });
    const forged = await grant({ scope: calendarScope }, otherKeys.privateKey);
    expect(forged).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
    const tooLong = await grant({ scope: calendarScope, exp: Math.floor(Date.now() / 1000) + 7200 });
    expect(tooLong.body.error).toBe('invalid_grant');
  });

  it('injects failures: 429 with Retry-After, 503, and a lost answer after the grant was made', async () => {
    fake.failNext(429, { 'retry-after': '7' }, { endpoint: 'token' });
    const limited = await post('/token', { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    fake.failNext(503);
    expect((await post('/revoke', { token: 'x' })).status).toBe(503);

    const { back, codeVerifier } = await consent({ prompt: 'consent' });
    fake.failNext('lost', {}, { endpoint: 'token' });
    await expect(exchange(back!.searchParams.get('code')!, codeVerifier)).rejects.toThrow();
    // Google acted: the code is spent.
    expect((await exchange(back!.searchParams.get('code')!, codeVerifier)).body.error).toBe('invalid_grant');
  });

  it('refuses an unsupported grant type and a missing one', async () => {
    expect((await post('/token', { grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
    expect((await post('/token', {})).body.error).toBe('invalid_request');
  });
});
