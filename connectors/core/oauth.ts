import { ConnectorError, isConnectorError } from './errors.ts';
import type { CredentialStatus } from './health.ts';
import type { CredentialVault } from './vault.ts';

/** What an OAuth2 token endpoint returns after a refresh. */
export interface RefreshedTokens {
  accessToken: string;
  expiresAt: Date;
  /** Present when the provider rotates refresh tokens. */
  refreshToken?: string;
}

/** Hands out a valid access token, refreshing it once for all concurrent callers. */
export interface OAuthTokenManager {
  /** A token valid for at least the skew; refreshes (single-flight) when needed. */
  get(): Promise<string>;
  /** Call on a 401 (with the token that was refused, if known): the next `get()` refreshes. */
  invalidate(token?: string): void;
  /** Stores tokens obtained by the admin "connect" flow. */
  store(tokens: { accessToken: string; expiresAt: Date; refreshToken: string }): Promise<void>;
  status(): Promise<CredentialStatus>;
}

/** Vault fields the manager uses. */
export const oauthFields = {
  accessToken: 'oauth_access_token',
  refreshToken: 'oauth_refresh_token',
} as const;

/**
 * Creates the manager. Tokens live encrypted in the vault; errors say what failed and never carry a
 * token. `skewSeconds` (default 60) refreshes that long before expiry.
 */
export function createOAuthTokenManager(options: {
  vault: CredentialVault;
  connectorId: string;
  refresh: (refreshToken: string) => Promise<RefreshedTokens>;
  clock?: () => Date;
  skewSeconds?: number;
}): OAuthTokenManager {
  const { vault, connectorId } = options;
  const clock = options.clock ?? (() => new Date());
  const skewMs = (options.skewSeconds ?? 60) * 1000;
  let cached: { token: string; expiresAt: Date } | null = null;
  let rejected: string | null = null;
  let inflight: Promise<string> | null = null;

  const usable = (token: { value: string; expiresAt: Date | null } | { token: string; expiresAt: Date }) => {
    const value = 'value' in token ? token.value : token.token;
    if (value === rejected) return false;
    return token.expiresAt !== null && token.expiresAt.getTime() - skewMs > clock().getTime();
  };

  const refresh = async (): Promise<string> => {
    const stored = await vault.getWithExpiry(connectorId, oauthFields.accessToken);
    if (stored && usable(stored)) {
      cached = { token: stored.value, expiresAt: stored.expiresAt! };
      return stored.value;
    }
    const refreshToken = await vault.get(connectorId, oauthFields.refreshToken);
    if (!refreshToken) {
      throw new ConnectorError(
        'auth_expired',
        `connector ${connectorId} has no OAuth refresh token: reconnect it`,
        {
          retryable: false,
        },
      );
    }
    let tokens: RefreshedTokens;
    try {
      tokens = await options.refresh(refreshToken);
    } catch (error) {
      // A vendor error may echo the request (and so the refresh token): keep only its kind.
      if (isConnectorError(error))
        throw new ConnectorError(error.kind, `OAuth refresh for ${connectorId} failed (${error.kind})`, {
          retryable: error.retryable,
        });
      throw new ConnectorError('auth_expired', `OAuth refresh for ${connectorId} failed`, {
        retryable: false,
      });
    }
    await vault.put(connectorId, oauthFields.accessToken, tokens.accessToken, {
      expiresAt: tokens.expiresAt,
    });
    if (tokens.refreshToken) await vault.put(connectorId, oauthFields.refreshToken, tokens.refreshToken);
    cached = { token: tokens.accessToken, expiresAt: tokens.expiresAt };
    rejected = null;
    return tokens.accessToken;
  };

  return {
    async get() {
      if (cached && usable(cached)) return cached.token;
      inflight ??= refresh().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    invalidate(token) {
      rejected = token ?? cached?.token ?? rejected;
      cached = null;
    },
    async store(tokens) {
      await vault.put(connectorId, oauthFields.accessToken, tokens.accessToken, {
        expiresAt: tokens.expiresAt,
      });
      await vault.put(connectorId, oauthFields.refreshToken, tokens.refreshToken);
      cached = { token: tokens.accessToken, expiresAt: tokens.expiresAt };
      rejected = null;
    },
    async status() {
      const fields = new Set((await vault.list(connectorId)).map((info) => info.field));
      if (!fields.has(oauthFields.refreshToken))
        return { state: 'missing', detail: 'no refresh token: connect the account' };
      return { state: 'ok' };
    },
  };
}
