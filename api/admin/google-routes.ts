import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createGoogleCalendarClient } from '../../connectors/calendar/google/client.ts';
import { isConnectorError } from '../../connectors/core/errors.ts';
import type { GoogleWorkspace } from '../../connectors/google/auth/google-connection.ts';
import {
  type GoogleFeature,
  googleFeatureScopes,
  googleFeatures,
} from '../../connectors/google/connection.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange } from './shared.ts';

/** How long an admin has between "Connect Google" and coming back with Google's code. */
const stateTtlMs = 10 * 60_000;
/** Audit rows and the pending PKCE verifiers are kept under this connector id. */
const auditConnector = 'google';
/** The vault's connector id of the PKCE verifiers of flows in progress (field: the state's hash). */
const pendingConnector = 'google_oauth_pending';

const featureSchema = z.enum(googleFeatures as [GoogleFeature, ...GoogleFeature[]]);

/** What the admin page shows of the Google connection: never a token, a key or the client secret. */
const googleStatusSchema = z.object({
  /** An OAuth client (id, secret, redirect URL) is configured: "Connect Google" can start. */
  configured: z.boolean(),
  client: z.object({
    clientId: z.string().nullable(),
    redirectUrl: z.string().nullable(),
    /** GOOGLE_OAUTH_CLIENT_ID is set: the page cannot change the client. */
    fromEnvironment: z.boolean(),
  }),
  mode: z.enum(['oauth', 'service_account', 'none']),
  connected: z.boolean(),
  /** The connected account (the support mailbox), or the impersonated user of a service account. */
  account: z.string().nullable(),
  features: z.array(featureSchema),
  featureStates: z.array(
    z.object({ feature: featureSchema, granted: z.boolean(), scopes: z.array(z.string()) }),
  ),
  state: z.enum(['ok', 'missing', 'expiring', 'expired', 'invalid', 'not_required']),
  detail: z.string().nullable(),
  lastError: z
    .object({ kind: z.string(), message: z.string(), at: z.string(), fatal: z.boolean() })
    .nullable(),
});
type GoogleStatus = z.infer<typeof googleStatusSchema>;

const disconnectSchema = googleStatusSchema.extend({
  /**
   * `revoked`: Google ended the grant; `already_invalid`: Google no longer knew it; `not_connected`:
   * nothing was connected through OAuth (a service account's key is only deleted here); `failed`:
   * Google could not be reached — the tokens are forgotten here anyway, and the app should be removed
   * under the account's "Third-party apps with account access".
   */
  revocation: z.enum(['revoked', 'already_invalid', 'not_connected', 'failed']),
});

const connectBodySchema = z.object({ features: z.array(featureSchema).min(1).max(googleFeatures.length) });
const startResponseSchema = z.object({ authorizeUrl: z.url(), expiresAt: z.string() });
const callbackBodySchema = z.object({
  code: z.string().min(1).max(2048),
  state: z.string().min(16).max(256),
});
const clientBodySchema = z.object({
  clientId: z
    .string()
    .trim()
    .regex(
      /^[\w.-]+\.apps\.googleusercontent\.com$/,
      'a Google OAuth client ID ends in .apps.googleusercontent.com',
    ),
  /** Omitted: keep the stored secret. */
  clientSecret: z.string().trim().min(8).max(512).optional(),
  redirectUrl: z.url({ protocol: /^https?$/ }),
});
const serviceAccountBodySchema = z.object({
  /** The JSON key as downloaded from the Cloud console (never echoed, never logged). */
  key: z.string().min(20).max(20_000),
  /** The Workspace user to act as (domain-wide delegation); null: the service account itself. */
  subject: z.email().nullable(),
  features: z.array(featureSchema).min(1).max(googleFeatures.length),
});
const testResponseSchema = z.object({
  ok: z.boolean(),
  results: z.array(z.object({ feature: featureSchema, ok: z.boolean(), detail: z.string() })),
});

const hashOf = (state: string) => createHash('sha256').update(state, 'utf8').digest('hex');

/**
 * The Google Workspace connection from /admin (docs/connectors.md, "Google Workspace"): `connect`
 * makes a one-time `state` bound to the admin session (its hash in `oauth_states`, provider
 * `google`) and a PKCE verifier kept encrypted in the vault until the callback, and answers Google's
 * consent URL for the chosen features; Google sends the admin back to the redirect URL with `code`
 * and `state`, which the admin page posts to `callback` (same session, CSRF token — the console
 * cookie is SameSite=Strict, so Google's redirect itself arrives without it). The state and its
 * verifier are used up whatever happens next; then the code is exchanged with the verifier and the
 * grant stored. `DELETE` revokes at Google (best effort, reported) and forgets the tokens. A service
 * account's JSON key can replace OAuth. Every change is audited without a secret.
 */
export async function registerGoogleRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const { vault } = context;

  const google = (): GoogleWorkspace => {
    if (!context.google) throw new ApiError('not_available', 'This deployment has no Google connection');
    return context.google;
  };

  async function status(): Promise<GoogleStatus> {
    const connection = google();
    const [mode, client, account, features, credential, lastError, app] = await Promise.all([
      connection.mode(),
      connection.oauthAppSource(),
      connection.account(),
      connection.features(),
      connection.status(),
      connection.lastError(),
      connection.oauthApp(),
    ]);
    return {
      configured: app !== null,
      client,
      mode,
      connected: mode !== 'none',
      account,
      features,
      featureStates: googleFeatures.map((feature) => ({
        feature,
        granted: features.includes(feature),
        scopes: [...googleFeatureScopes[feature]],
      })),
      state: credential.state,
      detail: credential.detail ?? null,
      lastError,
    };
  }

  app.get(
    '/api/admin/google',
    {
      schema: {
        ...adminSchema,
        summary: 'The Google Workspace connection: mode, account, granted features (never a token)',
        response: { 200: googleStatusSchema },
      },
    },
    async () => status(),
  );

  app.put(
    '/api/admin/google/oauth-client',
    {
      schema: {
        ...adminSchema,
        summary: 'Save the OAuth client ("Web application") the connection uses; the secret is never echoed',
        body: clientBodySchema,
        response: { 200: googleStatusSchema },
      },
    },
    async (request) => {
      const connection = google();
      if ((await connection.oauthAppSource()).fromEnvironment)
        throw new ApiError(
          'conflict',
          'GOOGLE_OAUTH_CLIENT_ID is set: the environment decides the OAuth client',
        );
      const { clientId, clientSecret, redirectUrl } = request.body;
      if (!clientSecret && !(await vault.get('google', 'oauth_client_secret')))
        throw new ApiError('validation_failed', 'give the OAuth client secret');
      await connection.saveOAuthApp({ clientId, redirectUrl, ...(clientSecret ? { clientSecret } : {}) });
      await auditAdminChange(pool, request.human!, auditConnector, 'admin.google_oauth_client', {
        client_id: clientId,
        redirect_url: redirectUrl,
        secret_changed: clientSecret !== undefined,
      });
      return status();
    },
  );

  app.post(
    '/api/admin/google/connect',
    {
      schema: {
        ...adminSchema,
        summary: "Connect Google: a one-time state bound to this session, and Google's consent URL",
        body: connectBodySchema,
        response: { 200: startResponseSchema },
      },
    },
    async (request) => {
      const client = await google().oauthClient();
      if (!client)
        throw new ApiError(
          'validation_failed',
          'Google has no OAuth client: save its client ID, client secret and redirect URL first',
        );
      const state = randomBytes(32).toString('base64url');
      const stateHash = hashOf(state);
      const expiresAt = new Date(Date.now() + stateTtlMs);
      await sweepExpired();
      const features = [...new Set(request.body.features)];
      const { url, codeVerifier } = await client.authorization(features, state);
      await pool.query(
        `INSERT INTO oauth_states (state_hash, provider, session_id, human_id, expires_at)
         VALUES ($1, 'google', $2, $3, $4)`,
        [stateHash, request.consoleSession!.id, request.human!.id, expiresAt],
      );
      // The verifier never leaves the server: encrypted in the vault, under the state's hash.
      await vault.put(pendingConnector, stateHash, codeVerifier, { expiresAt });
      return { authorizeUrl: url, expiresAt: expiresAt.toISOString() };
    },
  );

  /** Forgets the states and verifiers of flows nobody finished. */
  async function sweepExpired(): Promise<void> {
    await pool.query(`DELETE FROM oauth_states WHERE expires_at <= now()`);
    const now = Date.now();
    for (const info of await vault.list(pendingConnector))
      if (info.expiresAt && info.expiresAt.getTime() <= now) await vault.delete(pendingConnector, info.field);
  }

  app.post(
    '/api/admin/google/callback',
    {
      schema: {
        ...adminSchema,
        summary:
          "Finish connecting Google: checks the one-time state, exchanges Google's code with the PKCE verifier and stores the grant encrypted",
        body: callbackBodySchema,
        response: { 200: googleStatusSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      const stateHash = hashOf(request.body.state);
      // Used up here, whatever follows: a state (and its verifier) is good for one callback.
      const { rows } = await pool.query<{ session_id: string; live: boolean }>(
        `DELETE FROM oauth_states WHERE state_hash = $1 AND provider = 'google'
         RETURNING session_id, expires_at > now() AS live`,
        [stateHash],
      );
      const codeVerifier = await vault.get(pendingConnector, stateHash);
      await vault.delete(pendingConnector, stateHash);
      const found = rows[0];
      if (!found || found.session_id !== request.consoleSession!.id || !found.live || !codeVerifier) {
        request.log.warn(
          { adminId: human.id, reason: !found ? 'unknown' : !found.live ? 'expired' : 'other_session' },
          'Google OAuth callback refused',
        );
        throw new ApiError(
          'validation_failed',
          'This Google connection attempt is unknown, expired or already used: start again with "Connect Google"',
        );
      }
      const client = await google().oauthClient();
      if (!client) throw new ApiError('validation_failed', 'Google has no OAuth client configured any more');
      let grant: Awaited<ReturnType<typeof client.exchange>>;
      try {
        grant = await client.exchange(request.body.code, codeVerifier);
      } catch (error) {
        const message = isConnectorError(error) ? error.message : 'the token request failed';
        request.log.warn(
          { adminId: human.id, kind: isConnectorError(error) ? error.kind : 'unknown' },
          'Google code exchange failed',
        );
        throw new ApiError(
          isConnectorError(error) && (error.kind === 'transient' || error.kind === 'rate_limited')
            ? 'unavailable'
            : 'validation_failed',
          `Google did not accept the connection: ${message}`,
        );
      }
      await google().connect(grant);
      const features = await google().features();
      await auditAdminChange(pool, human, auditConnector, 'admin.connect_oauth', {
        backend: 'google',
        account: grant.account,
        features,
      });
      request.log.info({ adminId: human.id, features }, 'Google Workspace connected through OAuth');
      return status();
    },
  );

  app.put(
    '/api/admin/google/service-account',
    {
      schema: {
        ...adminSchema,
        summary:
          'Use a service account (JSON key, domain-wide delegation to a user) instead of OAuth; the key is never echoed',
        body: serviceAccountBodySchema,
        response: { 200: googleStatusSchema },
      },
    },
    async (request) => {
      const { key, subject, features } = request.body;
      try {
        await google().useServiceAccount({ keyJson: key, subject, features: [...new Set(features)] });
      } catch (error) {
        if (isConnectorError(error) && error.kind === 'invalid_input')
          throw new ApiError('validation_failed', error.message);
        throw error;
      }
      await auditAdminChange(pool, request.human!, auditConnector, 'admin.google_service_account', {
        subject,
        features,
      });
      return status();
    },
  );

  app.delete(
    '/api/admin/google',
    {
      schema: {
        ...adminSchema,
        summary: 'Disconnect Google: revokes the grant at Google (best effort), then forgets the tokens',
        response: { 200: disconnectSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      const { revocation } = await google().disconnect();
      await auditAdminChange(pool, human, auditConnector, 'admin.disconnect_oauth', {
        backend: 'google',
        revocation,
      });
      request.log.info({ adminId: human.id, revocation }, 'Google Workspace disconnected');
      return { ...(await status()), revocation };
    },
  );

  app.post(
    '/api/admin/google/test',
    {
      schema: {
        ...adminSchema,
        summary: 'Test the connection: a token for each granted feature, and a Calendar free/busy read',
        response: { 200: testResponseSchema },
      },
    },
    async () => {
      const connection = google();
      const features = await connection.features();
      const results: z.infer<typeof testResponseSchema>['results'] = [];
      for (const feature of features) {
        try {
          const token = await connection.accessToken(feature);
          if (feature !== 'calendar') {
            results.push({ feature, ok: true, detail: 'token issued' });
            continue;
          }
          const calendar = createGoogleCalendarClient({
            getAccessToken: async () => token,
            onUnauthorized: () => connection.invalidate(token),
            rootUrl: connection.rootUrl,
            timeoutMs: 10_000,
          });
          const now = new Date();
          const answer = await calendar.freeBusy(
            ['primary'],
            { start: now, end: new Date(now.getTime() + 60_000) },
            AbortSignal.timeout(15_000),
          );
          const error = answer.get('primary')?.error;
          results.push(
            error
              ? { feature, ok: false, detail: `primary calendar: ${error}` }
              : { feature, ok: true, detail: 'free/busy of the primary calendar readable' },
          );
        } catch (error) {
          results.push({ feature, ok: false, detail: error instanceof Error ? error.message : 'failed' });
        }
      }
      return { ok: features.length > 0 && results.every((result) => result.ok), results };
    },
  );
}
