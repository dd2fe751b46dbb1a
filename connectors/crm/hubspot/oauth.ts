import { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import { createOAuthTokenManager, type OAuthTokenManager, type RefreshedTokens } from '../../core/oauth.ts';
import type { CredentialVault } from '../../core/vault.ts';
import { createHubSpotSdk, type RawAnswer } from './sdk.ts';
import { errorOf } from './transport.ts';
import { hubspotErrorBody } from './vendor-schemas.ts';

/** The vault's connector id the HubSpot OAuth tokens are kept under (the CRM kind's). */
export const hubspotOAuthConnectorId = 'crm';

/** Scopes asked for by default: what the backend reads and writes (docs/connectors.md, "HubSpot"). */
export const defaultHubSpotScopes = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.companies.read',
  'crm.objects.owners.read',
];

/** A HubSpot OAuth app (legacy public app or project app) as the admin configured it. */
export interface HubSpotOAuthApp {
  clientId: string;
  /** Never logged, never echoed. */
  clientSecret: string;
  /** Where HubSpot sends the admin back to; must be one of the app's redirect URLs. */
  redirectUri: string;
  scopes?: string[];
  /** The API (token endpoint `{apiBase}/oauth/v1/token`); HubSpot's by default. */
  apiBase?: string;
  /** The install page; `https://app.hubspot.com/oauth/authorize` by default (a fake in tests). */
  authorizeUrl?: string;
  timeoutMs?: number;
}

/** `POST /oauth/v1/token` (legacy v1, as the SDK's tokensApi calls it): snake_case fields, `expires_in` in seconds. */
const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  token_type: z.string().optional(),
});

/**
 * The authorization-code flow's vendor side, on the SDK: the install URL (`oauth.getAuthorizationUrl`,
 * its base replaced when `authorizeUrl` is set), the code exchange and the refresh (both
 * `oauth.tokensApi.create`, form-encoded). Token-endpoint errors: `BAD_REFRESH_TOKEN` and a refused
 * client → `auth_expired` (not retryable: reconnect); a refused code or redirect URI → `invalid_input`;
 * 429/5xx/network as every HubSpot call. No message carries a code, a token or the client secret.
 */
export function createHubSpotOAuthClient(app: HubSpotOAuthApp, clock: () => Date = () => new Date()) {
  const sdk = createHubSpotSdk(app.apiBase ?? 'https://api.hubapi.com', (what, answer) =>
    errorOf(what, answer),
  );
  const timeoutMs = app.timeoutMs ?? 10_000;
  const scopes = app.scopes && app.scopes.length > 0 ? app.scopes : defaultHubSpotScopes;

  const tokenError = (what: string, answer: RawAnswer): ConnectorError => {
    if (answer.status !== 400 && answer.status !== 401) return errorOf(what, answer);
    const body = hubspotErrorBody.safeParse(safeJson(answer.text));
    const status = body.success ? (body.data.status ?? 'BAD_REQUEST') : 'BAD_REQUEST';
    const message = body.success && body.data.message ? `: ${body.data.message}` : '';
    const kind = /AUTH_CODE|REDIRECT_URI/.test(status) ? 'invalid_input' : 'auth_expired';
    return new ConnectorError(kind, `HubSpot refused ${what} (${answer.status} ${status}${message})`, {
      retryable: false,
    });
  };

  const grant = async (what: string, form: { grantType: string; code?: string; refreshToken?: string }) => {
    const answer = await sdk.call(
      what,
      tokenAnswer,
      (call) =>
        sdk.tokens.create(
          form.grantType,
          form.code,
          form.code === undefined ? undefined : app.redirectUri,
          app.clientId,
          app.clientSecret,
          form.refreshToken,
          call,
        ),
      { timeoutMs, errorOf: tokenError },
    );
    return {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      expiresAt: new Date(clock().getTime() + answer.expires_in * 1000),
    };
  };

  return {
    scopes,
    /** The install page URL with `client_id`, `redirect_uri`, `scope` and the one-time `state`. */
    authorizeUrl(state: string): string {
      const url = new URL(
        sdk.authorizationUrl(app.clientId, app.redirectUri, scopes.join(' '), undefined, state),
      );
      if (!app.authorizeUrl) return url.toString();
      const target = new URL(app.authorizeUrl);
      for (const [key, value] of url.searchParams) target.searchParams.set(key, value);
      return target.toString();
    },
    /** Exchanges the code HubSpot sent back (grant_type=authorization_code). */
    exchange: (code: string) => grant('the authorization code', { grantType: 'authorization_code', code }),
    /** A fresh access token (grant_type=refresh_token); HubSpot keeps the refresh token. */
    refresh: (refreshToken: string): Promise<RefreshedTokens> =>
      grant('the refresh token', { grantType: 'refresh_token', refreshToken }),
    /**
     * Deletes the refresh token at HubSpot (`DELETE /oauth/v1/refresh-tokens/{token}`, 204), so it
     * can never mint an access token again; access tokens already issued run out on their own (30
     * minutes). `already_invalid` when HubSpot no longer knows it (404, or refused as a bad token).
     * Network failures and 5xx throw (`transient`), as every HubSpot call.
     */
    async revoke(refreshToken: string): Promise<'revoked' | 'already_invalid'> {
      try {
        await sdk.call(
          'deleting the refresh token',
          z.null(),
          (call) => sdk.refreshTokens.archive(refreshToken, call),
          {
            timeoutMs,
            errorOf: (what, answer) =>
              answer.status === 404
                ? new ConnectorError('not_found', `HubSpot does not know the refresh token (${what})`, {
                    retryable: false,
                  })
                : tokenError(what, answer),
          },
        );
        return 'revoked';
      } catch (error) {
        if (error instanceof ConnectorError && (error.kind === 'not_found' || error.kind === 'auth_expired'))
          return 'already_invalid';
        throw error;
      }
    },
  };
}

export type HubSpotOAuthClient = ReturnType<typeof createHubSpotOAuthClient>;

/** The vault's single-flight token manager over the HubSpot OAuth client (connector id `crm`). */
export function createHubSpotTokenManager(options: {
  vault: CredentialVault;
  client: HubSpotOAuthClient;
  clock?: () => Date;
  skewSeconds?: number;
}): OAuthTokenManager {
  return createOAuthTokenManager({
    vault: options.vault,
    connectorId: hubspotOAuthConnectorId,
    refresh: (refreshToken) => options.client.refresh(refreshToken),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.skewSeconds !== undefined ? { skewSeconds: options.skewSeconds } : {}),
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
