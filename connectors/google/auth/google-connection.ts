import { JWT } from 'google-auth-library';
import { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import type { CredentialStatus } from '../../core/health.ts';
import { createOAuthTokenManager, type OAuthTokenManager, oauthFields } from '../../core/oauth.ts';
import type { CredentialVault } from '../../core/vault.ts';
import {
  featuresGranted,
  type GoogleConnection,
  type GoogleFeature,
  googleFeatures,
  scopesFor,
} from '../connection.ts';
import {
  createGoogleOAuthClient,
  type GoogleGrant,
  type GoogleOAuthApp,
  type GoogleOAuthClient,
} from './oauth-client.ts';
import {
  type GoogleEndpoints,
  googleAuthTransport,
  googleEndpoints,
  mapOAuthError,
  refusedGrant,
} from './transport.ts';

/** The vault's connector id of the Google Workspace connection (one per deployment). */
export const googleConnectorId = 'google';

/** Vault fields of the connection besides the OAuth tokens (`oauth_access_token`, `oauth_refresh_token`). */
export const googleFields = {
  scopes: 'granted_scopes',
  account: 'account_email',
  lastError: 'last_refresh_error',
  serviceAccountKey: 'service_account_key',
  serviceAccountSubject: 'service_account_subject',
  serviceAccountFeatures: 'service_account_features',
  clientId: 'oauth_client_id',
  clientSecret: 'oauth_client_secret',
  redirectUrl: 'oauth_redirect_url',
} as const;

/** How the connection was made. */
export type GoogleMode = 'oauth' | 'service_account' | 'none';

/** The last failure to get a token; `fatal` when Google refused the grant itself (reconnect). */
export interface GoogleTokenError {
  kind: string;
  message: string;
  at: string;
  fatal: boolean;
}

/** What the status line says after Google refused the stored refresh token. */
export const refusedAuthorization = 'Google refused the stored authorization (revoked?): reconnect';

export const serviceAccountKeySchema = z.object({
  type: z.literal('service_account'),
  client_email: z.email(),
  client_id: z.string().optional(),
  private_key: z.string().includes('PRIVATE KEY'),
});

/** The OAuth client settings from the environment (they win over what the admin stored). */
export interface GoogleOAuthEnvironment {
  clientId?: string;
  clientSecret?: string;
  redirectUrl?: string;
}

/**
 * The Google connection as the runtime owns it: the `GoogleConnection` every feature uses, plus
 * what the admin page does with it (connect, service account, disconnect, status).
 */
export interface GoogleWorkspace extends GoogleConnection {
  mode(): Promise<GoogleMode>;
  /** The OAuth client (environment first, else stored from the admin page), or null when incomplete. */
  oauthApp(): Promise<GoogleOAuthApp | null>;
  /** Where the OAuth client settings come from, for the admin page (never the secret). */
  oauthAppSource(): Promise<{
    clientId: string | null;
    redirectUrl: string | null;
    fromEnvironment: boolean;
  }>;
  /** Stores the admin's OAuth client (the secret in the vault); refused when the environment sets it. */
  saveOAuthApp(app: { clientId: string; clientSecret?: string; redirectUrl: string }): Promise<void>;
  oauthClient(): Promise<GoogleOAuthClient | null>;
  /** Stores what the consent gave (the OAuth mode replaces a service account). */
  connect(grant: GoogleGrant): Promise<void>;
  /** Uses a service account (domain-wide delegation to `subject`) for `features` instead of OAuth. */
  useServiceAccount(options: {
    keyJson: string;
    subject: string | null;
    features: GoogleFeature[];
  }): Promise<void>;
  /** Revokes the grant at Google (best effort) and forgets every token, key and grant detail. */
  disconnect(): Promise<{ revocation: 'revoked' | 'already_invalid' | 'not_connected' | 'failed' }>;
  lastError(): Promise<GoogleTokenError | null>;
}

/**
 * The one Google Workspace connection (see `connectors/google/connection.ts`). The mode follows what
 * is stored: a service-account key → the JWT grant (google-auth-library `JWT`, `sub` = the
 * impersonated user for domain-wide delegation); else a refresh token → OAuth through the vault's
 * single-flight token manager (refreshed a minute before expiry and after a 401); else not connected.
 * Everything is read from the vault on each call, so a connection made in another process is used at
 * once. When Google refuses the refresh token (`invalid_grant`: revoked by the user or an admin, the
 * password changed, six months unused) the failure is recorded, the status is `invalid` and every
 * feature's call fails `auth_expired` without asking Google again, until an admin reconnects.
 */
export function createGoogleConnection(options: {
  vault: CredentialVault;
  /** The OAuth client from the environment (GOOGLE_OAUTH_*); unset fields come from the vault. */
  env?: GoogleOAuthEnvironment;
  /** Google's endpoints (fakes in tests): GOOGLE_OAUTH_AUTH_URL, GOOGLE_OAUTH_TOKEN_URL, GOOGLE_API_ROOT… */
  endpoints?: Partial<GoogleEndpoints>;
  clock?: () => Date;
  skewSeconds?: number;
  timeoutMs?: number;
}): GoogleWorkspace {
  const { vault } = options;
  const env = options.env ?? {};
  const clock = options.clock ?? (() => new Date());
  const endpoints: GoogleEndpoints = { ...googleEndpoints, ...options.endpoints };
  const rootUrl = endpoints.rootUrl.endsWith('/') ? endpoints.rootUrl : `${endpoints.rootUrl}/`;
  const get = (field: string) => vault.get(googleConnectorId, field);

  let manager: { key: string; value: OAuthTokenManager } | null = null;
  let serviceAccount: { key: string; client: JWT } | null = null;
  /** A token refused (401) before the manager existed: the manager must not hand it out. */
  let refusedEarly: string | null = null;

  async function snapshot() {
    const fields = new Map((await vault.list(googleConnectorId)).map((info) => [info.field, info]));
    const mode: GoogleMode = fields.has(googleFields.serviceAccountKey)
      ? 'service_account'
      : fields.has(oauthFields.refreshToken)
        ? 'oauth'
        : 'none';
    return { mode, fields };
  }

  async function lastError(): Promise<GoogleTokenError | null> {
    const raw = await get(googleFields.lastError);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as GoogleTokenError;
    } catch {
      return null;
    }
  }

  async function record(error: unknown): Promise<void> {
    const fatal = refusedGrant(error);
    const entry: GoogleTokenError = {
      kind: error instanceof ConnectorError ? error.kind : 'permanent',
      message: error instanceof ConnectorError ? error.message : 'the token request failed',
      at: clock().toISOString(),
      fatal,
    };
    await vault.put(googleConnectorId, googleFields.lastError, JSON.stringify(entry));
  }

  async function oauthApp(): Promise<GoogleOAuthApp | null> {
    const clientId = env.clientId ?? (await get(googleFields.clientId));
    const clientSecret = env.clientSecret ?? (await get(googleFields.clientSecret));
    const redirectUri = env.redirectUrl ?? (await get(googleFields.redirectUrl));
    if (!clientId || !clientSecret || !redirectUri) return null;
    return {
      clientId,
      clientSecret,
      redirectUri,
      endpoints,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    };
  }

  async function oauthClient(): Promise<GoogleOAuthClient | null> {
    const app = await oauthApp();
    return app ? createGoogleOAuthClient(app, clock) : null;
  }

  function managerFor(key: string): OAuthTokenManager {
    if (manager?.key === key) return manager.value;
    const value = createOAuthTokenManager({
      vault,
      connectorId: googleConnectorId,
      clock,
      ...(options.skewSeconds !== undefined ? { skewSeconds: options.skewSeconds } : {}),
      refresh: async (refreshToken) => {
        const client = await oauthClient();
        if (!client)
          throw new ConnectorError('auth_expired', 'the Google OAuth client is not configured any more', {
            retryable: false,
          });
        try {
          const tokens = await client.refresh(refreshToken);
          if (tokens.scopes) await vault.put(googleConnectorId, googleFields.scopes, tokens.scopes.join(' '));
          await vault.delete(googleConnectorId, googleFields.lastError);
          return tokens;
        } catch (error) {
          await record(error);
          throw error;
        }
      },
    });
    if (refusedEarly) value.invalidate(refusedEarly);
    refusedEarly = null;
    manager = { key, value };
    return value;
  }

  async function serviceAccountClient(key: string): Promise<{ client: JWT; features: GoogleFeature[] }> {
    const features = parseFeatures(await get(googleFields.serviceAccountFeatures));
    if (serviceAccount?.key === key) return { client: serviceAccount.client, features };
    const raw = await get(googleFields.serviceAccountKey);
    const parsed = serviceAccountKeySchema.safeParse(safeJson(raw));
    if (!parsed.success)
      throw new ConnectorError(
        'auth_expired',
        'the stored Google service-account key is unreadable: upload it again',
        {
          retryable: false,
        },
      );
    const subject = await get(googleFields.serviceAccountSubject);
    const client = new JWT({
      email: parsed.data.client_email,
      key: parsed.data.private_key,
      scopes: scopesFor(features),
      ...(subject ? { subject } : {}),
      transporter: googleAuthTransport(endpoints, options.timeoutMs),
    });
    serviceAccount = { key, client };
    return { client, features };
  }

  const notGranted = (feature: GoogleFeature) =>
    new ConnectorError(
      'forbidden',
      `the Google connection was not granted ${feature}: connect Google again with that feature ticked`,
      { retryable: false },
    );

  const connection: GoogleWorkspace = {
    rootUrl,

    async accessToken(feature) {
      const { mode, fields } = await snapshot();
      if (mode === 'none')
        throw new ConnectorError(
          'auth_expired',
          'Google Workspace is not connected: an admin connects it on /admin',
          {
            retryable: false,
          },
        );
      const failure = await lastError();
      if (failure?.fatal)
        throw new ConnectorError(
          'auth_expired',
          mode === 'oauth' ? refusedAuthorization : `Google refused the service account: ${failure.message}`,
          { retryable: false },
        );
      if (mode === 'service_account') {
        const key = fields.get(googleFields.serviceAccountKey)!.updatedAt.toISOString();
        const { client, features } = await serviceAccountClient(key);
        if (!features.includes(feature)) throw notGranted(feature);
        try {
          const { token } = await client.getAccessToken();
          if (!token)
            throw new ConnectorError('transient', 'Google issued no access token for the service account');
          if (failure) await vault.delete(googleConnectorId, googleFields.lastError);
          return token;
        } catch (error) {
          const mapped = mapOAuthError('the service account', error);
          await record(mapped);
          throw mapped;
        }
      }
      const scopes = ((await get(googleFields.scopes)) ?? '').split(' ').filter(Boolean);
      if (!featuresGranted(scopes).includes(feature)) throw notGranted(feature);
      const key = fields.get(oauthFields.refreshToken)!.updatedAt.toISOString();
      try {
        return await managerFor(key).get();
      } catch (error) {
        if ((await lastError())?.fatal)
          throw new ConnectorError('auth_expired', refusedAuthorization, { retryable: false });
        throw error;
      }
    },

    invalidate(token) {
      if (manager) manager.value.invalidate(token);
      else refusedEarly = token;
      // google-auth-library's JWT keeps its token until it nears expiry: a new client asks afresh.
      serviceAccount = null;
    },

    async features() {
      const { mode } = await snapshot();
      if (mode === 'none') return [];
      if (mode === 'service_account') return parseFeatures(await get(googleFields.serviceAccountFeatures));
      return featuresGranted(((await get(googleFields.scopes)) ?? '').split(' ').filter(Boolean));
    },

    async account() {
      const { mode } = await snapshot();
      if (mode === 'none') return null;
      if (mode === 'service_account') {
        const subject = await get(googleFields.serviceAccountSubject);
        if (subject) return subject;
        return (
          serviceAccountKeySchema.safeParse(safeJson(await get(googleFields.serviceAccountKey))).data
            ?.client_email ?? null
        );
      }
      return get(googleFields.account);
    },

    async status(): Promise<CredentialStatus> {
      const { mode } = await snapshot();
      if (mode === 'none') return { state: 'missing', detail: 'Google Workspace is not connected' };
      const failure = await lastError();
      if (failure?.fatal)
        return {
          state: 'invalid',
          detail:
            mode === 'oauth'
              ? refusedAuthorization
              : `Google refused the service account: ${failure.message}`,
        };
      return { state: 'ok' };
    },

    mode: async () => (await snapshot()).mode,
    oauthApp,
    oauthClient,

    async oauthAppSource() {
      return {
        clientId: env.clientId ?? (await get(googleFields.clientId)),
        redirectUrl: env.redirectUrl ?? (await get(googleFields.redirectUrl)),
        fromEnvironment: env.clientId !== undefined,
      };
    },

    async saveOAuthApp(app) {
      await vault.put(googleConnectorId, googleFields.clientId, app.clientId);
      await vault.put(googleConnectorId, googleFields.redirectUrl, app.redirectUrl);
      if (app.clientSecret) await vault.put(googleConnectorId, googleFields.clientSecret, app.clientSecret);
    },

    async connect(grant) {
      for (const field of [
        googleFields.serviceAccountKey,
        googleFields.serviceAccountSubject,
        googleFields.serviceAccountFeatures,
        googleFields.lastError,
      ])
        await vault.delete(googleConnectorId, field);
      await vault.put(googleConnectorId, googleFields.scopes, grant.scopes.join(' '));
      await vault.put(googleConnectorId, googleFields.account, grant.account);
      await vault.put(googleConnectorId, oauthFields.refreshToken, grant.refreshToken);
      await vault.put(googleConnectorId, oauthFields.accessToken, grant.accessToken, {
        expiresAt: grant.expiresAt,
      });
      manager = null;
    },

    async useServiceAccount({ keyJson, subject, features }) {
      const parsed = serviceAccountKeySchema.safeParse(safeJson(keyJson));
      if (!parsed.success)
        throw new ConnectorError(
          'invalid_input',
          'the key must be a service account JSON key (type, client_email, private_key)',
          {
            retryable: false,
          },
        );
      await forgetGrant();
      await vault.put(googleConnectorId, googleFields.serviceAccountKey, keyJson);
      if (subject) await vault.put(googleConnectorId, googleFields.serviceAccountSubject, subject);
      else await vault.delete(googleConnectorId, googleFields.serviceAccountSubject);
      await vault.put(googleConnectorId, googleFields.serviceAccountFeatures, features.join(' '));
      serviceAccount = null;
    },

    async disconnect() {
      const { mode } = await snapshot();
      let revocation: 'revoked' | 'already_invalid' | 'not_connected' | 'failed' = 'not_connected';
      if (mode === 'oauth') {
        const refreshToken = await get(oauthFields.refreshToken);
        const client = await oauthClient().catch(() => null);
        if (refreshToken && client) {
          try {
            revocation = await client.revoke(refreshToken);
          } catch {
            revocation = 'failed';
          }
        } else revocation = 'failed';
      } else if (mode === 'service_account') {
        // A service account's key is not revoked by us: it is deleted here (and in the Cloud console).
        revocation = 'not_connected';
      }
      await forgetGrant();
      for (const field of [
        googleFields.serviceAccountKey,
        googleFields.serviceAccountSubject,
        googleFields.serviceAccountFeatures,
      ])
        await vault.delete(googleConnectorId, field);
      serviceAccount = null;
      return { revocation };
    },

    lastError,
  };

  async function forgetGrant(): Promise<void> {
    for (const field of [
      oauthFields.accessToken,
      oauthFields.refreshToken,
      googleFields.scopes,
      googleFields.account,
      googleFields.lastError,
    ])
      await vault.delete(googleConnectorId, field);
    manager?.value.invalidate();
    manager = null;
  }

  return connection;
}

function parseFeatures(raw: string | null): GoogleFeature[] {
  const named = new Set((raw ?? '').split(' '));
  return googleFeatures.filter((feature) => named.has(feature));
}

function safeJson(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
