import { randomUUID } from 'node:crypto';
import type { FakeAnswer } from './handlers.ts';

/**
 * The fake's OAuth app and its tokens, as HubSpot's OAuth guide (legacy v1 tokens API, which the
 * official SDK's `oauth.tokensApi` calls) describes them:
 * - `GET /oauth/authorize?client_id&redirect_uri&scope&state` — the install page; the fake approves
 *   at once and redirects (302) to `redirect_uri?code=…&state=…` (HubSpot echoes `state` unchanged).
 * - `POST /oauth/v1/token`, form-encoded: `grant_type=authorization_code` with `client_id`,
 *   `client_secret`, `redirect_uri` and `code` (single use, 5 minutes here), or
 *   `grant_type=refresh_token` with `client_id`, `client_secret` and `refresh_token`. Answer
 *   `{ token_type: 'bearer', refresh_token, access_token, expires_in }` (seconds; HubSpot's are 30
 *   minutes). HubSpot keeps the refresh token on refresh. Failures are 400 with
 *   `{ status: 'BAD_…', message, correlationId }`: `BAD_GRANT_TYPE`, `BAD_CLIENT_ID`,
 *   `BAD_CLIENT_SECRET`, `BAD_REDIRECT_URI`, `BAD_AUTH_CODE`, `BAD_REFRESH_TOKEN`
 *   ("missing or invalid refresh token").
 * - `DELETE /oauth/v1/refresh-tokens/{token}` (no authentication, the token is the credential):
 *   deletes the refresh token, 204 with no body; access tokens already issued from it keep working
 *   until they expire, as HubSpot documents. An unknown token is 404 with HubSpot's error body.
 * Access tokens it issued are accepted by the CRM endpoints until they expire (then 401
 * `EXPIRED_AUTHENTICATION`, as HubSpot answers an expired OAuth token).
 */
export interface FakeOAuthApp {
  clientId: string;
  clientSecret: string;
  /** Lifetime of issued access tokens, in seconds. */
  accessTokenSeconds: number;
}

export function createFakeOAuth(app: FakeOAuthApp, now: () => Date) {
  const codes = new Map<string, { redirectUri: string; scopes: string[]; expiresAt: number }>();
  const accessTokens = new Map<string, { expiresAt: number }>();
  const refreshTokens = new Set<string>();
  /** Token requests seen (grant types), for assertions. */
  const grants: Array<{ grantType: string; status: number }> = [];

  const bad = (status: string, message: string): FakeAnswer => ({
    status: 400,
    body: { status, message, correlationId: randomUUID(), requestId: randomUUID() },
  });

  const issue = (refreshToken: string): FakeAnswer => {
    const accessToken = `oauth-fake-${randomUUID()}`;
    accessTokens.set(accessToken, { expiresAt: now().getTime() + app.accessTokenSeconds * 1000 });
    return {
      status: 200,
      body: {
        token_type: 'bearer',
        refresh_token: refreshToken,
        access_token: accessToken,
        expires_in: app.accessTokenSeconds,
      },
    };
  };

  function token(form: URLSearchParams): FakeAnswer {
    const grantType = form.get('grant_type') ?? '';
    const answer = ((): FakeAnswer => {
      if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
        return bad('BAD_GRANT_TYPE', 'grant_type must be authorization_code or refresh_token');
      if (form.get('client_id') !== app.clientId) return bad('BAD_CLIENT_ID', 'missing or unknown client id');
      if (form.get('client_secret') !== app.clientSecret)
        return bad('BAD_CLIENT_SECRET', 'missing or invalid client secret');
      if (grantType === 'refresh_token') {
        const refreshToken = form.get('refresh_token') ?? '';
        if (!refreshTokens.has(refreshToken))
          return bad('BAD_REFRESH_TOKEN', 'missing or invalid refresh token');
        return issue(refreshToken);
      }
      const code = codes.get(form.get('code') ?? '');
      if (!code || code.expiresAt <= now().getTime())
        return bad('BAD_AUTH_CODE', 'missing or unknown auth code');
      if (form.get('redirect_uri') !== code.redirectUri)
        return bad('BAD_REDIRECT_URI', 'redirect_uri does not match the one of the authorization');
      codes.delete(form.get('code')!);
      const refreshToken = `refresh-fake-${randomUUID()}`;
      refreshTokens.add(refreshToken);
      return issue(refreshToken);
    })();
    grants.push({ grantType, status: answer.status });
    return answer;
  }

  /** `DELETE /oauth/v1/refresh-tokens/{token}`. */
  function deleteRefreshToken(refreshToken: string): FakeAnswer {
    if (!refreshTokens.delete(refreshToken))
      return {
        status: 404,
        body: {
          status: 'error',
          message: 'refresh token not found',
          correlationId: randomUUID(),
          category: 'OBJECT_NOT_FOUND',
        },
      };
    return { status: 204, body: null };
  }

  /** The install page: approves at once, or answers 400 for an unknown app / missing parameter. */
  function authorize(query: URLSearchParams): { location: string } | FakeAnswer {
    if (query.get('client_id') !== app.clientId) return bad('BAD_CLIENT_ID', 'unknown app');
    const redirectUri = query.get('redirect_uri');
    const scope = query.get('scope');
    if (!redirectUri || !scope) return bad('BAD_REQUEST', 'redirect_uri and scope are required');
    const code = `code-${randomUUID()}`;
    codes.set(code, {
      redirectUri,
      scopes: scope.split(/[ +]/).filter(Boolean),
      expiresAt: now().getTime() + 5 * 60_000,
    });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    if (query.has('state')) location.searchParams.set('state', query.get('state')!);
    return { location: location.toString() };
  }

  return {
    app,
    grants,
    token,
    authorize,
    deleteRefreshToken,
    /** Whether HubSpot would still refresh with this token. */
    knowsRefreshToken: (refreshToken: string) => refreshTokens.has(refreshToken),
    /** Whether `bearer` is an OAuth access token the fake issued: 'valid', 'expired' or 'unknown'. */
    accessTokenState(bearer: string): 'valid' | 'expired' | 'unknown' {
      const known = accessTokens.get(bearer);
      if (!known) return 'unknown';
      return known.expiresAt > now().getTime() ? 'valid' : 'expired';
    },
    /** The app was uninstalled from the portal: every refresh and access token stops working. */
    revokeAll() {
      refreshTokens.clear();
      accessTokens.clear();
    },
    /** Every issued access token expires now (the refresh tokens keep working). */
    expireAccessTokens() {
      for (const entry of accessTokens.values()) entry.expiresAt = now().getTime() - 1;
    },
  };
}

export type FakeOAuth = ReturnType<typeof createFakeOAuth>;
