import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import type { RefreshedTokens } from '../../core/oauth.ts';
import { type GoogleFeature, scopesFor } from '../connection.ts';
import { type GoogleEndpoints, googleAuthTransport, googleEndpoints, mapOAuthError } from './transport.ts';

/** A Google Cloud OAuth client of type "Web application", as the admin or the environment configured it. */
export interface GoogleOAuthApp {
  clientId: string;
  /** Never logged, never echoed. */
  clientSecret: string;
  /** One of the client's authorised redirect URIs: the admin page's Google callback. */
  redirectUri: string;
  /** Google's endpoints unless set (a local fake in tests). */
  endpoints?: Partial<GoogleEndpoints>;
  timeoutMs?: number;
}

/** Asked for with every feature: who the connected account is (its address is the support mailbox). */
export const identityScopes = ['openid', 'email'];

/** What connecting stores: the tokens, what Google granted, and whose account it is. */
export interface GoogleGrant {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scopes: string[];
  account: string;
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expiry_date: z.number().nullish(),
  scope: z.string().nullish(),
});
const tokenInfoAnswer = z.object({ email: z.email().optional(), scopes: z.array(z.string()) });

/**
 * Google's OAuth 2.0 for web-server apps on google-auth-library's `OAuth2Client`
 * (https://developers.google.com/identity/protocols/oauth2/web-server): the consent URL with PKCE
 * (S256), offline access (a refresh token) and incremental authorization; the code exchange with
 * the verifier; the refresh; the revocation. Errors are ConnectorErrors naming Google's error code
 * only (`mapOAuthError`), never a code, a token or the client secret.
 */
export function createGoogleOAuthClient(app: GoogleOAuthApp, clock: () => Date = () => new Date()) {
  const endpoints = { ...googleEndpoints, ...app.endpoints };
  const client = () =>
    new OAuth2Client({
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri: app.redirectUri,
      transporter: googleAuthTransport(endpoints, app.timeoutMs),
      endpoints: {
        oauth2AuthBaseUrl: endpoints.authUrl,
        oauth2TokenUrl: endpoints.tokenUrl,
        oauth2RevokeUrl: endpoints.revokeUrl,
        tokenInfoUrl: endpoints.tokenInfoUrl,
      },
    });

  const expiresAt = (expiryDate: number | null | undefined) =>
    // Google answers expires_in (the library turns it into expiry_date); an hour when it says nothing.
    new Date(expiryDate ?? clock().getTime() + 3600_000);

  return {
    endpoints,
    /**
     * The consent page URL for `features` (plus `openid email`) and a fresh PKCE verifier, which the
     * caller keeps server-side until the callback. `prompt=consent` makes Google issue a refresh
     * token again even when this account consented before (Google sends it on first consent only).
     */
    async authorization(
      features: GoogleFeature[],
      state: string,
    ): Promise<{ url: string; codeVerifier: string }> {
      const oauth = client();
      const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
      const url = oauth.generateAuthUrl({
        access_type: 'offline',
        prompt: 'consent',
        include_granted_scopes: true,
        scope: [...identityScopes, ...scopesFor(features)],
        state,
        code_challenge: codeChallenge!,
        code_challenge_method: CodeChallengeMethod.S256,
      });
      return { url, codeVerifier };
    },

    /** Exchanges the code Google sent back (with the PKCE verifier) and learns whose account it is. */
    async exchange(code: string, codeVerifier: string): Promise<GoogleGrant> {
      const oauth = client();
      let tokens: z.infer<typeof tokenAnswer>;
      try {
        const answer = await oauth.getToken({ code, codeVerifier });
        tokens = tokenAnswer.parse(answer.tokens);
      } catch (error) {
        if (error instanceof z.ZodError)
          throw new ConnectorError('permanent', 'Google answered the code exchange without an access token');
        throw mapOAuthError('the authorization code', error);
      }
      if (!tokens.refresh_token)
        throw new ConnectorError(
          'invalid_input',
          'Google issued no refresh token (offline access was not granted): connect again',
          { retryable: false },
        );
      const info = await this.tokenInfo(tokens.access_token);
      if (!info.email)
        throw new ConnectorError(
          'invalid_input',
          'Google did not say which account consented (email scope refused)',
          {
            retryable: false,
          },
        );
      return {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        expiresAt: expiresAt(tokens.expiry_date),
        scopes: tokens.scope ? tokens.scope.split(' ').filter(Boolean) : info.scopes,
        account: info.email.toLowerCase(),
      };
    },

    /** Who an access token acts for and what it may do (tokeninfo). */
    async tokenInfo(accessToken: string): Promise<{ email?: string; scopes: string[] }> {
      try {
        return tokenInfoAnswer.parse(await client().getTokenInfo(accessToken));
      } catch (error) {
        if (error instanceof z.ZodError)
          throw new ConnectorError('permanent', 'Google answered tokeninfo in an unexpected shape');
        throw mapOAuthError('the token information request', error);
      }
    },

    /** A fresh access token from the refresh token; `scopes` is what the grant covers now. */
    async refresh(refreshToken: string): Promise<RefreshedTokens & { scopes?: string[] }> {
      let tokens: z.infer<typeof tokenAnswer>;
      try {
        const oauth = client();
        oauth.setCredentials({ refresh_token: refreshToken });
        const answer = await oauth.refreshAccessToken();
        tokens = tokenAnswer.parse(answer.credentials);
      } catch (error) {
        if (error instanceof z.ZodError)
          throw new ConnectorError('permanent', 'Google answered the refresh without an access token');
        throw mapOAuthError('the refresh token', error);
      }
      return {
        accessToken: tokens.access_token,
        expiresAt: expiresAt(tokens.expiry_date),
        // The library echoes the refresh token it was given; only a rotated one is news.
        ...(tokens.refresh_token && tokens.refresh_token !== refreshToken
          ? { refreshToken: tokens.refresh_token }
          : {}),
        ...(tokens.scope ? { scopes: tokens.scope.split(' ').filter(Boolean) } : {}),
      };
    },

    /**
     * Revokes the grant at Google (`POST /revoke`): revoking the refresh token ends every token of
     * it. `already_invalid` when Google no longer knows it (400 invalid_token); other failures throw.
     */
    async revoke(token: string): Promise<'revoked' | 'already_invalid'> {
      try {
        await client().revokeToken(token);
        return 'revoked';
      } catch (error) {
        const mapped = mapOAuthError('the revocation', error);
        if (mapped.kind === 'invalid_input' || mapped.kind === 'auth_expired') return 'already_invalid';
        throw mapped;
      }
    },
  };
}

export type GoogleOAuthClient = ReturnType<typeof createGoogleOAuthClient>;
