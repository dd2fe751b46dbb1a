import { createHash, createPublicKey, createVerify, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGoogleTokenBook, type GoogleTokenBook } from './token-book.ts';

/**
 * A local fake of Google's OAuth 2.0 endpoints for web-server apps
 * (https://developers.google.com/identity/protocols/oauth2/web-server) and service accounts
 * (https://developers.google.com/identity/protocols/oauth2/service-account), on 127.0.0.1:
 *
 * - `GET /o/oauth2/v2/auth` — the consent page. It checks the client, the registered redirect URI,
 *   `response_type=code`, the scopes, `access_type`, PKCE (`code_challenge` + `S256`) and `state`,
 *   then consents at once for the configured test user and redirects back with `code`, `state` and
 *   `scope` (or `error=access_denied` when told to refuse). An unknown client or redirect URI gets
 *   Google's error page (400), never a redirect.
 * - `POST /token` — form-encoded: `authorization_code` (one-time code, ten minutes, same redirect
 *   URI, `code_verifier` against the challenge, client secret), `refresh_token`, and the JWT-bearer
 *   grant of a service account (RS256 signature checked with the account's public key; `sub`
 *   impersonates a Workspace user when domain-wide delegation allows the scopes). Errors are
 *   Google's `{error, error_description}`: `invalid_grant`, `invalid_client`, `invalid_request`,
 *   `unsupported_grant_type`, `unauthorized_client`, `redirect_uri_mismatch`.
 * - `POST /revoke` — `token` (an access or refresh token) in the query or the form: revoking either
 *   ends the whole grant, as Google does.
 * - `GET /v1/userinfo` (OpenID Connect) and `POST|GET /tokeninfo` — who a token acts for, its scopes.
 *
 * Access tokens go into the shared token book, which the Gmail, Drive and Calendar fakes check.
 * A refresh token is issued on the first consent with `access_type=offline`, and again only with
 * `prompt=consent` (Google's behaviour); `include_granted_scopes=true` adds earlier grants.
 */

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface FakeServiceAccount {
  clientEmail: string;
  /** The numeric client id the Admin console's domain-wide delegation names. */
  clientId: string;
  /** PEM (SPKI) public key matching the JSON key's private key. */
  publicKey: string;
  /** Scopes the Workspace admin delegated to this client id; null: no domain-wide delegation. */
  delegatedScopes: string[] | null;
}

/** One token-endpoint call, for assertions (never a secret). */
export interface FakeGrant {
  grantType: string;
  status: number;
  error?: string;
  /** The impersonated user of a JWT-bearer grant. */
  subject?: string;
}

interface Grant {
  id: string;
  clientId: string;
  subject: string;
  scopes: Set<string>;
  refreshToken: string | null;
  accessTokens: Set<string>;
  revoked: boolean;
}

interface PendingCode {
  grant: Grant;
  clientId: string;
  redirectUri: string;
  challenge: string;
  expiresAt: number;
  used: boolean;
  /** Whether the exchange answers the refresh token (first offline consent or prompt=consent). */
  withRefreshToken: boolean;
}

export type FakeOAuthEndpoint = 'token' | 'revoke' | 'userinfo' | 'tokeninfo';

interface QueuedFailure {
  status: number | 'lost';
  headers: Record<string, string>;
  endpoint?: FakeOAuthEndpoint;
}

export interface FakeGoogleOAuth {
  /** Base URL (no trailing slash): endpoints are `${url}/o/oauth2/v2/auth`, `${url}/token`… */
  url: string;
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  userinfoUrl: string;
  tokenInfoUrl: string;
  book: GoogleTokenBook;
  client: FakeOAuthClient;
  /** The Workspace user who consents on the fake's consent page. */
  user: { email: string; sub: string };
  /** How the next consents go: refuse, or grant only some of the scopes (granular consent). */
  consent: { deny: boolean; grantOnly: string[] | null };
  grants: FakeGrant[];
  /** Every consent-page visit's query, for assertions. */
  authorizations: Array<Record<string, string>>;
  /** Revokes the grant of a refresh token as the user does in their Google account (it stops working). */
  revokeRefreshToken(refreshToken: string): void;
  /** Whether the grant of a refresh token is live, revoked, or unknown. */
  refreshTokenState(refreshToken: string): 'live' | 'revoked' | 'unknown';
  /**
   * The next `times` calls (of `endpoint`, or any) answer `status` in Google's error shape (429 with
   * the given `Retry-After`, 5xx), or `'lost'`: the call is carried out and the connection dropped
   * before the answer, as when a response times out after Google acted.
   */
  failNext(
    status: number | 'lost',
    headers?: Record<string, string>,
    options?: { times?: number; endpoint?: FakeOAuthEndpoint },
  ): void;
  close(): Promise<void>;
}

const codeTtlMs = 10 * 60_000;

class OAuthProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const base64url = (buffer: Buffer) => buffer.toString('base64url');
const s256 = (verifier: string) => base64url(createHash('sha256').update(verifier, 'ascii').digest());
/** RFC 7636: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
const verifierShape = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Google's token audience for the JWT-bearer grant (the fake also accepts its own token URL). */
export const googleTokenAudience = 'https://oauth2.googleapis.com/token';

export async function startFakeGoogleOAuth(
  options: {
    book?: GoogleTokenBook;
    client?: Partial<FakeOAuthClient>;
    user?: { email: string; sub?: string };
    serviceAccounts?: FakeServiceAccount[];
    accessTtlSeconds?: number;
  } = {},
): Promise<FakeGoogleOAuth> {
  const book = options.book ?? createGoogleTokenBook();
  const client: FakeOAuthClient = {
    clientId: options.client?.clientId ?? `${randomBytes(6).toString('hex')}.apps.googleusercontent.com`,
    clientSecret: options.client?.clientSecret ?? `GOCSPX-${randomBytes(18).toString('base64url')}`,
    redirectUris: options.client?.redirectUris ?? ['http://127.0.0.1/admin/google/callback'],
  };
  const user = {
    email: options.user?.email ?? 'support@brightpath.io',
    sub: options.user?.sub ?? String(100_000_000_000 + Math.floor(Math.random() * 1e9)),
  };
  const serviceAccounts = new Map(
    (options.serviceAccounts ?? []).map((account) => [
      account.clientEmail,
      { ...account, key: createPublicKey(account.publicKey) as KeyObject },
    ]),
  );
  const ttl = options.accessTtlSeconds ?? 3599;
  const consent: FakeGoogleOAuth['consent'] = { deny: false, grantOnly: null };
  const grants: FakeGrant[] = [];
  const authorizations: Array<Record<string, string>> = [];
  const codes = new Map<string, PendingCode>();
  /** The user's grant to our client (Google keeps one per user and client). */
  const grantsByKey = new Map<string, Grant>();
  const byRefresh = new Map<string, Grant>();
  const byAccess = new Map<string, Grant>();
  const failures: QueuedFailure[] = [];
  let baseUrl = '';

  const endGrant = (grant: Grant) => {
    grant.revoked = true;
    for (const token of grant.accessTokens) book.revoke(token);
    grant.accessTokens.clear();
  };

  const issueAccess = (grant: Grant) => {
    const issued = book.issue({ scopes: grant.scopes, subject: grant.subject, ttlSeconds: ttl });
    grant.accessTokens.add(issued.token);
    byAccess.set(issued.token, grant);
    return issued;
  };

  // https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient
  function authorize(query: URLSearchParams, response: ServerResponse) {
    const q = Object.fromEntries(query);
    authorizations.push(q);
    const page = (message: string) => {
      response.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<html><body><h1>Access blocked: authorization error</h1><p>${message}</p></body></html>`);
    };
    if (q.client_id !== client.clientId)
      return page('Error 401: invalid_client. The OAuth client was not found.');
    if (!q.redirect_uri || !client.redirectUris.includes(q.redirect_uri))
      return page('Error 400: redirect_uri_mismatch');
    const back = new URL(q.redirect_uri);
    const redirect = (params: Record<string, string>) => {
      for (const [key, value] of Object.entries(params)) back.searchParams.set(key, value);
      if (q.state !== undefined) back.searchParams.set('state', q.state);
      response.writeHead(302, { location: back.toString() });
      response.end();
    };
    if (q.response_type !== 'code') return redirect({ error: 'unsupported_response_type' });
    const requested = (q.scope ?? '').split(/\s+/).filter(Boolean);
    if (requested.length === 0) return page('Error 400: invalid_request. Missing required parameter: scope');
    if (q.access_type !== undefined && !['online', 'offline'].includes(q.access_type))
      return page('Error 400: invalid_request. Invalid access_type');
    if (q.code_challenge_method !== undefined && !['S256', 'plain'].includes(q.code_challenge_method))
      return page('Error 400: invalid_request. Invalid code_challenge_method');
    // This fake insists on PKCE with S256 (the app always sends it; Google's default method is plain).
    if (
      !q.code_challenge ||
      q.code_challenge_method !== 'S256' ||
      !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge)
    )
      return page('Error 400: invalid_request. code_challenge with code_challenge_method=S256 is required');
    if (
      q.prompt !== undefined &&
      !q.prompt.split(' ').every((p) => ['none', 'consent', 'select_account'].includes(p))
    )
      return page('Error 400: invalid_request. Invalid prompt');
    if (consent.deny) return redirect({ error: 'access_denied' });

    const key = `${q.client_id}/${user.sub}`;
    const earlier = grantsByKey.get(key);
    const live = earlier && !earlier.revoked ? earlier : undefined;
    const granted = new Set(
      consent.grantOnly ? requested.filter((scope) => consent.grantOnly!.includes(scope)) : requested,
    );
    if (live && q.include_granted_scopes === 'true') for (const scope of live.scopes) granted.add(scope);
    const offline = q.access_type === 'offline';
    // Google returns a refresh token on the first offline consent, or again when the app forces the
    // consent screen; otherwise the app is expected to have kept the one it got.
    const withRefreshToken =
      offline && (!live?.refreshToken || (q.prompt ?? '').split(' ').includes('consent'));
    const grant: Grant = {
      id: randomBytes(8).toString('hex'),
      clientId: client.clientId,
      subject: user.email,
      scopes: granted,
      refreshToken: live?.refreshToken ?? null,
      accessTokens: live?.accessTokens ?? new Set(),
      revoked: false,
    };
    if (live) {
      // The same grant, its scopes replaced by the new consent.
      live.scopes = granted;
    }
    const code = `4/0A${randomBytes(24).toString('base64url')}`;
    codes.set(code, {
      grant: live ?? grant,
      clientId: client.clientId,
      redirectUri: q.redirect_uri,
      challenge: q.code_challenge,
      expiresAt: book.now() + codeTtlMs,
      used: false,
      withRefreshToken,
    });
    if (!live) grantsByKey.set(key, grant);
    redirect({ code, scope: [...granted].join(' '), authuser: '0', prompt: 'consent' });
  }

  function authenticateClient(form: URLSearchParams, authorization: string | undefined): void {
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/.exec(authorization ?? '')?.[1];
    if (basic) {
      const [user, pass] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      id = decodeURIComponent(user ?? '');
      secret = decodeURIComponent(pass ?? '');
    }
    if (!id) throw new OAuthProblem(400, 'invalid_request', 'Could not determine client ID from request.');
    if (id !== client.clientId)
      throw new OAuthProblem(401, 'invalid_client', 'The OAuth client was not found.');
    if (secret !== client.clientSecret) throw new OAuthProblem(401, 'invalid_client', 'Unauthorized');
  }

  function exchangeCode(form: URLSearchParams) {
    const code = form.get('code');
    if (!code) throw new OAuthProblem(400, 'invalid_request', 'Missing required parameter: code');
    const pending = codes.get(code);
    if (!pending || pending.used || pending.expiresAt <= book.now() || pending.grant.revoked) {
      // A reused code also ends what it issued (RFC 6749 §4.1.2), as Google does.
      if (pending?.used) endGrant(pending.grant);
      throw new OAuthProblem(400, 'invalid_grant', 'Malformed auth code.');
    }
    pending.used = true;
    if (form.get('redirect_uri') !== pending.redirectUri)
      throw new OAuthProblem(400, 'redirect_uri_mismatch', 'Bad Request');
    const verifier = form.get('code_verifier');
    if (!verifier) throw new OAuthProblem(400, 'invalid_grant', 'Missing code verifier.');
    if (!verifierShape.test(verifier) || s256(verifier) !== pending.challenge)
      throw new OAuthProblem(400, 'invalid_grant', 'Invalid code verifier.');
    const grant = pending.grant;
    if (pending.withRefreshToken) {
      if (grant.refreshToken) byRefresh.delete(grant.refreshToken);
      grant.refreshToken = `1//0g${randomBytes(30).toString('base64url')}`;
      byRefresh.set(grant.refreshToken, grant);
    }
    const issued = issueAccess(grant);
    return {
      access_token: issued.token,
      expires_in: ttl,
      ...(pending.withRefreshToken ? { refresh_token: grant.refreshToken } : {}),
      scope: [...grant.scopes].join(' '),
      token_type: 'Bearer',
    };
  }

  function refresh(form: URLSearchParams) {
    const token = form.get('refresh_token');
    if (!token) throw new OAuthProblem(400, 'invalid_request', 'Missing required parameter: refresh_token');
    const grant = byRefresh.get(token);
    if (!grant || grant.revoked)
      throw new OAuthProblem(400, 'invalid_grant', 'Token has been expired or revoked.');
    const issued = issueAccess(grant);
    return {
      access_token: issued.token,
      expires_in: ttl,
      scope: [...grant.scopes].join(' '),
      token_type: 'Bearer',
    };
  }

  // https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
  function jwtBearer(form: URLSearchParams, record: FakeGrant) {
    const assertion = form.get('assertion');
    if (!assertion) throw new OAuthProblem(400, 'invalid_request', 'Missing required parameter: assertion');
    const parts = assertion.split('.');
    if (parts.length !== 3)
      throw new OAuthProblem(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe',
      );
    let header: { alg?: string };
    let claims: { iss?: string; scope?: string; aud?: string; exp?: number; iat?: number; sub?: string };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      throw new OAuthProblem(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    const account = claims.iss ? serviceAccounts.get(claims.iss) : undefined;
    if (!account) throw new OAuthProblem(400, 'invalid_grant', 'Invalid grant: account not found');
    if (header.alg !== 'RS256') throw new OAuthProblem(400, 'invalid_grant', 'Invalid JWT Signature.');
    const verify = createVerify('RSA-SHA256');
    verify.update(`${parts[0]}.${parts[1]}`);
    if (!verify.verify(account.key, Buffer.from(parts[2]!, 'base64url')))
      throw new OAuthProblem(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== googleTokenAudience && claims.aud !== `${baseUrl}/token`)
      throw new OAuthProblem(400, 'invalid_grant', 'Invalid JWT: audience');
    const nowSeconds = Math.floor(book.now() / 1000);
    if (
      typeof claims.iat !== 'number' ||
      typeof claims.exp !== 'number' ||
      claims.exp - claims.iat > 3600 ||
      claims.exp <= nowSeconds ||
      claims.iat > nowSeconds + 300
    )
      throw new OAuthProblem(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    const scopes = (claims.scope ?? '').split(/\s+/).filter(Boolean);
    if (scopes.length === 0)
      throw new OAuthProblem(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    if (claims.sub !== undefined) {
      record.subject = claims.sub;
      const delegated = account.delegatedScopes;
      if (!delegated || !scopes.every((scope) => delegated.includes(scope)))
        throw new OAuthProblem(
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        );
    }
    const issued = book.issue({ scopes, subject: claims.sub ?? account.clientEmail, ttlSeconds: ttl });
    return { access_token: issued.token, expires_in: ttl, token_type: 'Bearer' };
  }

  function token(form: URLSearchParams, authorization: string | undefined, record: FakeGrant) {
    const grantType = form.get('grant_type');
    record.grantType = grantType ?? '';
    if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return jwtBearer(form, record);
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      if (!grantType)
        throw new OAuthProblem(400, 'invalid_request', 'Missing required parameter: grant_type');
      throw new OAuthProblem(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
    }
    authenticateClient(form, authorization);
    return grantType === 'authorization_code' ? exchangeCode(form) : refresh(form);
  }

  // https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
  function revoke(form: URLSearchParams, query: URLSearchParams) {
    const value = query.get('token') ?? form.get('token');
    if (!value) throw new OAuthProblem(400, 'invalid_request', 'Missing required parameter: token');
    const grant = byRefresh.get(value) ?? byAccess.get(value);
    if (!grant || grant.revoked) throw new OAuthProblem(400, 'invalid_token', 'Token expired or revoked');
    endGrant(grant);
    return {};
  }

  function whoIs(authorization: string | undefined, anyOf: readonly string[]) {
    const checked = book.check(authorization, anyOf);
    if (!checked.ok)
      throw new OAuthProblem(
        checked.status,
        checked.reason === 'insufficientPermissions' ? 'insufficient_scope' : 'invalid_token',
        checked.message,
      );
    return checked.token;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const text = await readBody(request);
    const path = url.pathname;
    if (path === '/o/oauth2/v2/auth' && method === 'GET') return authorize(url.searchParams, response);

    const endpoint: FakeOAuthEndpoint | undefined =
      path === '/token'
        ? 'token'
        : path === '/revoke'
          ? 'revoke'
          : path === '/v1/userinfo'
            ? 'userinfo'
            : path === '/tokeninfo'
              ? 'tokeninfo'
              : undefined;
    if (!endpoint) return sendJson(response, 404, { error: 'not_found', error_description: 'Not Found' });
    const index = failures.findIndex((queued) => !queued.endpoint || queued.endpoint === endpoint);
    const failure = index >= 0 ? failures.splice(index, 1)[0] : undefined;
    if (failure && failure.status !== 'lost') {
      if (endpoint === 'token') grants.push({ grantType: '', status: failure.status });
      return sendJson(
        response,
        failure.status,
        {
          error: failure.status === 429 ? 'rate_limit_exceeded' : 'internal_failure',
          error_description: 'Backend Error',
        },
        failure.headers,
      );
    }
    const contentType = request.headers['content-type'] ?? '';
    const form =
      method === 'POST' && contentType.includes('application/x-www-form-urlencoded')
        ? new URLSearchParams(text)
        : new URLSearchParams();
    const record: FakeGrant = { grantType: '', status: 0 };
    try {
      let body: unknown;
      if (endpoint === 'token') {
        if (method !== 'POST') throw new OAuthProblem(405, 'invalid_request', 'Method Not Allowed');
        if (!contentType.includes('application/x-www-form-urlencoded'))
          throw new OAuthProblem(400, 'invalid_request', 'Invalid content type: form-encoded body expected');
        grants.push(record);
        body = token(form, request.headers.authorization, record);
      } else if (endpoint === 'revoke') {
        if (method !== 'POST') throw new OAuthProblem(405, 'invalid_request', 'Method Not Allowed');
        body = revoke(form, url.searchParams);
      } else if (endpoint === 'userinfo') {
        // https://developers.google.com/identity/openid-connect/openid-connect#obtaininguserprofileinformation
        const issued = whoIs(request.headers.authorization, [
          'openid',
          'email',
          'https://www.googleapis.com/auth/userinfo.email',
        ]);
        const withEmail =
          issued.scopes.has('email') || issued.scopes.has('https://www.googleapis.com/auth/userinfo.email');
        body = {
          sub: issued.subject === user.email ? user.sub : issued.subject,
          ...(withEmail ? { email: issued.subject, email_verified: true } : {}),
        };
      } else {
        const accessToken = url.searchParams.get('access_token') ?? form.get('access_token');
        const issued = whoIs(accessToken ? `Bearer ${accessToken}` : request.headers.authorization, []);
        const withEmail =
          issued.scopes.has('email') || issued.scopes.has('https://www.googleapis.com/auth/userinfo.email');
        const grant = byAccess.get(issued.token);
        body = {
          azp: grant?.clientId ?? client.clientId,
          aud: grant?.clientId ?? client.clientId,
          sub: issued.subject === user.email ? user.sub : issued.subject,
          scope: [...issued.scopes].join(' '),
          exp: String(Math.floor(issued.expiresAt / 1000)),
          expires_in: Math.max(0, Math.floor((issued.expiresAt - book.now()) / 1000)),
          ...(withEmail ? { email: issued.subject, email_verified: 'true' } : {}),
          access_type: grant?.refreshToken ? 'offline' : 'online',
        };
      }
      record.status = 200;
      if (failure?.status === 'lost') {
        request.socket.destroy();
        return;
      }
      sendJson(response, 200, body);
    } catch (error) {
      if (!(error instanceof OAuthProblem)) throw error;
      record.status = error.status;
      record.error = error.error;
      if (failure?.status === 'lost') {
        request.socket.destroy();
        return;
      }
      sendJson(response, error.status, { error: error.error, error_description: error.description });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      sendJson(response, 500, { error: 'internal_failure', error_description: (error as Error).message });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    authUrl: `${baseUrl}/o/oauth2/v2/auth`,
    tokenUrl: `${baseUrl}/token`,
    revokeUrl: `${baseUrl}/revoke`,
    userinfoUrl: `${baseUrl}/v1/userinfo`,
    tokenInfoUrl: `${baseUrl}/tokeninfo`,
    book,
    client,
    user,
    consent,
    grants,
    authorizations,
    revokeRefreshToken(refreshToken) {
      const grant = byRefresh.get(refreshToken);
      if (grant) endGrant(grant);
    },
    refreshTokenState(refreshToken) {
      const grant = byRefresh.get(refreshToken);
      return !grant ? 'unknown' : grant.revoked ? 'revoked' : 'live';
    },
    failNext(status, headers = {}, failOptions = {}) {
      for (let index = 0; index < (failOptions.times ?? 1); index++)
        failures.push({
          status,
          headers,
          ...(failOptions.endpoint ? { endpoint: failOptions.endpoint } : {}),
        });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
