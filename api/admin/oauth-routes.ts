import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { hubspotOAuthApp } from '../../connectors/backends/catalogue.ts';
import { BackendConfigError } from '../../connectors/backends/selection.ts';
import { isConnectorError } from '../../connectors/core/errors.ts';
import { oauthFields } from '../../connectors/core/oauth.ts';
import {
  createHubSpotOAuthClient,
  createHubSpotTokenManager,
  hubspotOAuthConnectorId,
} from '../../connectors/crm/hubspot/oauth.ts';
import { controlChannel } from '../../conversations/live-events.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange, iso } from './shared.ts';

/** How long an admin has between "Connect HubSpot" and coming back with HubSpot's code. */
const stateTtlMs = 10 * 60_000;

/** What the admin page shows of the HubSpot OAuth connection: never a token or the client secret. */
const hubspotOAuthStatusSchema = z.object({
  /** The HubSpot backend has an OAuth app (client id, secret, redirect URL) and no private-app token. */
  configured: z.boolean(),
  /** A refresh token is stored (the access token is refreshed from it when needed). */
  connected: z.boolean(),
  connectedAt: z.string().nullable(),
  /** Whether the CRM kind currently runs on HubSpot. */
  active: z.boolean(),
});
type HubSpotOAuthStatus = z.infer<typeof hubspotOAuthStatusSchema>;

/** What disconnecting answers: the status, and what became of the refresh token at HubSpot. */
const hubspotDisconnectSchema = hubspotOAuthStatusSchema.extend({
  /**
   * `revoked`: HubSpot deleted the refresh token; `already_invalid`: HubSpot no longer knew it;
   * `not_connected`: no token was stored; `failed`: HubSpot could not be reached or refused — the
   * tokens are forgotten here anyway, and the app should be uninstalled in HubSpot.
   */
  revocation: z.enum(['revoked', 'already_invalid', 'not_connected', 'failed']),
});

const startResponseSchema = z.object({ authorizeUrl: z.url(), expiresAt: z.string() });
const callbackBodySchema = z.object({
  code: z.string().min(1).max(2048),
  state: z.string().min(16).max(256),
});

const hashOf = (state: string) => createHash('sha256').update(state, 'utf8').digest('hex');

/**
 * HubSpot's OAuth authorization-code flow from /admin (Connectors → Settings → "Connect HubSpot"):
 * `start` makes a one-time `state` (its hash stored with the admin session and an expiry) and
 * answers HubSpot's install URL; HubSpot sends the admin back to the app's redirect URL with `code`
 * and `state`, which the admin page posts to `callback` (same session, CSRF token): the state is
 * used up whatever happens next, then the code is exchanged and the tokens go into the vault
 * (`crm` / `oauth_access_token`, `oauth_refresh_token`) through the single-flight token manager.
 * The callback is a POST from the page rather than HubSpot's redirect itself because the console
 * cookie is SameSite=Strict: a redirect from app.hubspot.com arrives without it.
 * `DELETE` deletes the refresh token at HubSpot (best effort, reported) and forgets the tokens. Every change is audited (no token, no code, no secret) and the CRM
 * backend is rebuilt in every process, as choosing a backend does.
 */
export async function registerOAuthRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const { backends, vault } = context;

  async function oauthApp() {
    let values: Record<string, string>;
    try {
      values = await backends.settingsOf('crm', 'hubspot');
    } catch (error) {
      if (error instanceof BackendConfigError) throw new ApiError('validation_failed', error.message);
      throw error;
    }
    if (values.access_token || !values.client_id || !values.client_secret || !values.redirect_uri)
      return null;
    return hubspotOAuthApp(values);
  }

  async function status(): Promise<HubSpotOAuthStatus> {
    const configured = (await oauthApp()) !== null;
    const refresh = (await vault.list(hubspotOAuthConnectorId)).find(
      (info) => info.field === oauthFields.refreshToken,
    );
    const crm = (await backends.describe()).find((view) => view.kind === 'crm');
    return {
      configured,
      connected: refresh !== undefined,
      connectedAt: iso(refresh?.updatedAt),
      active: crm?.backend === 'hubspot',
    };
  }

  /** Rebuilds the CRM backend here and in every other process (new tokens, or none). */
  const applied = async (): Promise<void> => {
    const definition = await backends.build('crm');
    context.switchboard.useBackend('crm', definition);
    await context.bus.publish(controlChannel, {
      kind: 'backends',
      connectorKind: 'crm',
      origin: context.instanceId,
    });
  };

  app.get(
    '/api/admin/oauth/hubspot',
    {
      schema: {
        ...adminSchema,
        summary: 'Whether HubSpot is connected through its OAuth app (never a token)',
        response: { 200: hubspotOAuthStatusSchema },
      },
    },
    async () => status(),
  );

  app.post(
    '/api/admin/oauth/hubspot/start',
    {
      schema: {
        ...adminSchema,
        summary: "Connect HubSpot: a one-time state bound to this session, and HubSpot's install URL",
        response: { 200: startResponseSchema },
      },
    },
    async (request) => {
      const settings = await oauthApp();
      if (!settings)
        throw new ApiError(
          'validation_failed',
          'HubSpot has no OAuth app: save its client ID, client secret and redirect URL first (and no private-app token)',
        );
      const state = randomBytes(32).toString('base64url');
      const expiresAt = new Date(Date.now() + stateTtlMs);
      await pool.query('DELETE FROM oauth_states WHERE expires_at <= now()');
      await pool.query(
        `INSERT INTO oauth_states (state_hash, provider, session_id, human_id, expires_at)
         VALUES ($1, 'hubspot', $2, $3, $4)`,
        [hashOf(state), request.consoleSession!.id, request.human!.id, expiresAt],
      );
      return {
        authorizeUrl: createHubSpotOAuthClient(settings).authorizeUrl(state),
        expiresAt: expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/api/admin/oauth/hubspot/callback',
    {
      schema: {
        ...adminSchema,
        summary:
          "Finish connecting HubSpot: checks the one-time state, exchanges HubSpot's code and stores the tokens encrypted",
        body: callbackBodySchema,
        response: { 200: hubspotOAuthStatusSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      // Used up here, whatever follows: a state is good for one callback.
      const { rows } = await pool.query<{ session_id: string; live: boolean }>(
        `DELETE FROM oauth_states WHERE state_hash = $1 AND provider = 'hubspot'
         RETURNING session_id, expires_at > now() AS live`,
        [hashOf(request.body.state)],
      );
      const found = rows[0];
      if (!found || found.session_id !== request.consoleSession!.id || !found.live) {
        request.log.warn(
          { adminId: human.id, reason: !found ? 'unknown' : found.live ? 'other_session' : 'expired' },
          'HubSpot OAuth callback refused',
        );
        throw new ApiError(
          'validation_failed',
          'This HubSpot connection attempt is unknown, expired or already used: start again with "Connect HubSpot"',
        );
      }
      const settings = await oauthApp();
      if (!settings) throw new ApiError('validation_failed', 'HubSpot has no OAuth app configured any more');
      const client = createHubSpotOAuthClient(settings);
      let tokens: Awaited<ReturnType<typeof client.exchange>>;
      try {
        tokens = await client.exchange(request.body.code);
      } catch (error) {
        // Kind and our message only: HubSpot's answer names no secret, but the request did.
        const message = isConnectorError(error) ? error.message : 'the token request failed';
        request.log.warn(
          { adminId: human.id, kind: isConnectorError(error) ? error.kind : 'unknown' },
          'HubSpot code exchange failed',
        );
        throw new ApiError(
          isConnectorError(error) && (error.kind === 'transient' || error.kind === 'rate_limited')
            ? 'unavailable'
            : 'validation_failed',
          `HubSpot did not accept the connection: ${message}`,
        );
      }
      await createHubSpotTokenManager({ vault, client }).store(tokens);
      await auditAdminChange(pool, human, 'crm', 'admin.connect_oauth', { backend: 'hubspot' });
      request.log.info({ adminId: human.id }, 'HubSpot connected through OAuth');
      await applied();
      return status();
    },
  );

  app.delete(
    '/api/admin/oauth/hubspot',
    {
      schema: {
        ...adminSchema,
        summary:
          "Disconnect HubSpot's OAuth app: deletes the refresh token at HubSpot, then the stored tokens",
        response: { 200: hubspotDisconnectSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      const refreshToken = await vault.get(hubspotOAuthConnectorId, oauthFields.refreshToken);
      const revocation = await revokeAtHubSpot(refreshToken, request.log);
      // Forgotten here whatever HubSpot answered: the admin asked to stop using this connection.
      await vault.delete(hubspotOAuthConnectorId, oauthFields.accessToken);
      await vault.delete(hubspotOAuthConnectorId, oauthFields.refreshToken);
      await auditAdminChange(pool, human, 'crm', 'admin.disconnect_oauth', {
        backend: 'hubspot',
        revocation,
      });
      request.log.info({ adminId: human.id, revocation }, 'HubSpot OAuth tokens deleted');
      await applied();
      return { ...(await status()), revocation };
    },
  );

  async function revokeAtHubSpot(
    refreshToken: string | null,
    log: { warn(object: object, message: string): void },
  ): Promise<z.infer<typeof hubspotDisconnectSchema>['revocation']> {
    if (!refreshToken) return 'not_connected';
    const settings = await oauthApp().catch(() => null);
    if (!settings) return 'failed';
    try {
      return await createHubSpotOAuthClient(settings).revoke(refreshToken);
    } catch (error) {
      // The message names no token (the SDK wrapper redacts the path).
      log.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'HubSpot refresh token not revoked',
      );
      return 'failed';
    }
  }
}
