import { gaxios } from 'google-auth-library';
import { ConnectorError } from '../../core/errors.ts';

/** Google's own endpoints; each can be pointed elsewhere (a local fake in tests) by configuration. */
export const googleEndpoints = {
  authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  revokeUrl: 'https://oauth2.googleapis.com/revoke',
  tokenInfoUrl: 'https://oauth2.googleapis.com/tokeninfo',
  rootUrl: 'https://www.googleapis.com/',
} as const;

export interface GoogleEndpoints {
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  tokenInfoUrl: string;
  rootUrl: string;
}

/**
 * The HTTP transport google-auth-library's clients get: no retries of its own (the connector pipeline
 * and the token manager decide what is retried), a timeout, and — for the service account's JWT
 * grant, whose token URL the library fixes — the token request sent to the configured token URL.
 */
export function googleAuthTransport(
  endpoints: Pick<GoogleEndpoints, 'tokenUrl'>,
  timeoutMs = 10_000,
): gaxios.Gaxios {
  const transport = new gaxios.Gaxios();
  transport.interceptors.request.add({
    resolved: async (config: gaxios.GaxiosOptionsPrepared) => {
      config.retry = false;
      config.retryConfig = { ...config.retryConfig, retry: 0, noResponseRetries: 0 };
      config.timeout = timeoutMs;
      if (
        config.url.toString() === googleEndpoints.tokenUrl &&
        endpoints.tokenUrl !== googleEndpoints.tokenUrl
      )
        config.url = new URL(endpoints.tokenUrl);
      return config;
    },
  });
  return transport;
}

/** What we read of a gaxios failure (the class may come from another copy of gaxios). */
interface HttpFailure {
  status?: number;
  name?: string;
  response?: { status?: number; headers?: Headers | Record<string, string>; data?: unknown };
}

/** Google's OAuth error `{error, error_description}`, when the answer carried one. */
export function oauthErrorOf(error: unknown): { status?: number; error?: string; description?: string } {
  const failure = (error ?? {}) as HttpFailure;
  const status =
    failure.response?.status ?? (typeof failure.status === 'number' ? failure.status : undefined);
  const data = failure.response?.data;
  const body = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  return {
    ...(status !== undefined ? { status } : {}),
    ...(typeof body.error === 'string' ? { error: body.error } : {}),
    ...(typeof body.error_description === 'string' ? { description: body.error_description } : {}),
  };
}

const retryAfterOf = (error: unknown): number | undefined => {
  const headers = (error as HttpFailure | undefined)?.response?.headers;
  const raw =
    headers && typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get('retry-after')
      : (headers as Record<string, string> | undefined)?.['retry-after'];
  return raw && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
};

/**
 * A failed call to Google's OAuth endpoints as a ConnectorError whose message names the OAuth error
 * code only (Google's answers name no secret, but the request did: nothing of it is kept, not even as
 * `cause`). `invalid_grant` (a revoked, expired or reused grant, a wrong PKCE verifier),
 * `invalid_client` and `unauthorized_client` → `auth_expired`, not retryable: only a new connection
 * helps. 429 → `rate_limited` (Retry-After), 5xx and no answer → `transient`, other 4xx → `invalid_input`.
 */
export function mapOAuthError(what: string, error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const { status, error: code } = oauthErrorOf(error);
  if (status === undefined) {
    const name = (error as HttpFailure | undefined)?.name;
    return new ConnectorError(
      'transient',
      name === 'AbortError' || name === 'TimeoutError'
        ? `Google timed out (${what})`
        : `Google unreachable (${what})`,
    );
  }
  const label = `Google refused ${what} (${status}${code ? ` ${code}` : ''})`;
  if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client')
    return new ConnectorError('auth_expired', label, { retryable: false });
  if (status === 429) {
    const retryAfterSeconds = retryAfterOf(error);
    return new ConnectorError('rate_limited', `${label}: rate limited`, {
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }
  if (status >= 500) return new ConnectorError('transient', `${label}: server error`);
  if (status === 401) return new ConnectorError('auth_expired', label, { retryable: false });
  return new ConnectorError('invalid_input', label, { retryable: false });
}

/** Whether a mapped error means Google refused the grant itself (reconnect), not a passing failure. */
export const refusedGrant = (error: unknown): boolean =>
  error instanceof ConnectorError && error.kind === 'auth_expired' && error.retryable === false;
