import { JWT } from 'google-auth-library';
import type pg from 'pg';
import { z } from 'zod';
import type { BackendSettingName } from '../../config/backends.ts';
import { createStripeBillingConnector } from '../billing/stripe/index.ts';
import { createGoogleCalendarConnector } from '../calendar/google/connector.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import type { CredentialVault } from '../core/vault.ts';
import { createHubSpotCrmConnector } from '../crm/hubspot/index.ts';
import {
  createHubSpotOAuthClient,
  createHubSpotTokenManager,
  defaultHubSpotScopes,
  type HubSpotOAuthApp,
} from '../crm/hubspot/oauth.ts';
import type { GoogleConnection } from '../google/connection.ts';
import { createZendeskTicketingConnector } from '../ticketing/zendesk/index.ts';
import type { ContactDirectory } from './directory.ts';
import type { SelectableKind } from './kinds.ts';

/**
 * One setting of a vendor backend. Secrets are kept in the credentials vault (never in the
 * `connector_backends` row, never echoed by the API); every field can instead come from the
 * environment variable it names, which then wins (a deployment pins it in configuration).
 */
export interface BackendField {
  name: string;
  label: string;
  secret: boolean;
  required: boolean;
  env: BackendSettingName;
  help: string;
}

/** What a vendor backend is built from besides its fields. */
export interface BackendBuildDeps {
  db: pg.Pool;
  /** Our contacts: who the verified session is, by email (vendor bindings start from it). */
  directory: ContactDirectory;
  /** The credentials vault: where an OAuth connection's tokens live (refreshed single-flight). */
  vault: CredentialVault;
  /** The Google Workspace connection, when the runtime has one (the Calendar backend can run on it). */
  google?: GoogleConnection;
}

/** A vendor backend an admin can choose for a kind; the built-in backend is the absence of one. */
export interface VendorBackend {
  kind: SelectableKind;
  id: string;
  title: string;
  fields: BackendField[];
  /** Checks the fields together (a required field may be satisfied by an alternative). */
  validate(values: Record<string, string>): string | null;
  build(values: Record<string, string>, deps: BackendBuildDeps): ConnectorDefinition;
}

/** The name of the built-in backend of every kind (our own tables). */
export const builtinBackend = 'builtin';

const urlField = (env: BackendSettingName, help: string): BackendField => ({
  name: 'api_base',
  label: 'API base URL',
  secret: false,
  required: false,
  env,
  help,
});

const missingRequired = (backend: { fields: BackendField[] }, values: Record<string, string>) => {
  const missing = backend.fields.filter((field) => field.required && !values[field.name]);
  return missing.length > 0 ? `missing ${missing.map((field) => field.label).join(', ')}` : null;
};

const stripe: VendorBackend = {
  kind: 'billing',
  id: 'stripe',
  title: 'Stripe',
  fields: [
    {
      name: 'secret_key',
      label: 'Secret or restricted key',
      secret: true,
      required: true,
      env: 'STRIPE_SECRET_KEY',
      help: 'sk_live_… / rk_live_… (docs/connectors.md lists the permissions a restricted key needs)',
    },
    urlField('STRIPE_API_BASE', "Stripe's API by default; a proxy or a local fake"),
    {
      name: 'portal_return_url',
      label: 'Billing-portal return URL',
      secret: false,
      required: false,
      env: 'STRIPE_PORTAL_RETURN_URL',
      help: 'where the card-update portal sends the customer back to',
    },
    {
      name: 'webhook_secret',
      label: 'Webhook signing secret',
      secret: true,
      required: false,
      env: 'STRIPE_WEBHOOK_SECRET',
      help: 'whsec_… of the endpoint …/api/webhooks/stripe (Developers → Webhooks); without it every delivery is refused',
    },
  ],
  validate(values) {
    const missing = missingRequired(this, values);
    if (missing) return missing;
    if (!/^(sk|rk)_(test|live)_/.test(values.secret_key!))
      return 'the Stripe key must be a secret (sk_…) or restricted (rk_…) key';
    if (values.webhook_secret && !values.webhook_secret.startsWith('whsec_'))
      return 'the webhook signing secret is the endpoint’s whsec_… value';
    return null;
  },
  build: (values, { directory }) =>
    createStripeBillingConnector({
      secretKey: values.secret_key!,
      ...(values.api_base ? { apiBase: values.api_base } : {}),
      ...(values.portal_return_url ? { portalReturnUrl: values.portal_return_url } : {}),
      customerOf: directory.customerOf,
      accountOfEmail: directory.accountOfEmail,
    }),
};

const hubspot: VendorBackend = {
  kind: 'crm',
  id: 'hubspot',
  title: 'HubSpot',
  fields: [
    {
      name: 'access_token',
      label: 'Private-app access token',
      secret: true,
      required: false,
      env: 'HUBSPOT_ACCESS_TOKEN',
      help: 'a private app’s token (pat-…); the scopes it needs are listed in docs/connectors.md, “HubSpot”. Or leave it empty and connect an OAuth app below',
    },
    // OAuth app settings (instead of a private-app token), from the environment or the admin page.
    {
      name: 'client_id',
      label: 'OAuth app client ID',
      secret: false,
      required: false,
      env: 'HUBSPOT_OAUTH_CLIENT_ID',
      help: 'instead of a private-app token: the OAuth app’s client ID (then “Connect HubSpot”)',
    },
    {
      name: 'client_secret',
      label: 'OAuth app client secret',
      secret: true,
      required: false,
      env: 'HUBSPOT_OAUTH_CLIENT_SECRET',
      help: 'the OAuth app’s client secret',
    },
    {
      name: 'redirect_uri',
      label: 'OAuth redirect URL',
      secret: false,
      required: false,
      env: 'HUBSPOT_OAUTH_REDIRECT_URI',
      help: 'one of the app’s redirect URLs: https://<this server>/admin?connect=hubspot',
    },
    {
      name: 'scopes',
      label: 'OAuth scopes',
      secret: false,
      required: false,
      env: 'HUBSPOT_OAUTH_SCOPES',
      help: `space-separated; default: ${defaultHubSpotScopes.join(' ')}`,
    },
    {
      name: 'authorize_url',
      label: 'OAuth install page',
      secret: false,
      required: false,
      env: 'HUBSPOT_OAUTH_AUTHORIZE_URL',
      help: 'https://app.hubspot.com/oauth/authorize by default (a local fake in tests)',
    },
    urlField('HUBSPOT_API_BASE', "HubSpot's API by default; a proxy or a local fake"),
  ],
  validate(values) {
    if (values.access_token) return null;
    if (!values.client_id && !values.client_secret)
      return 'give a private-app access token, or an OAuth app (client ID, client secret, redirect URL)';
    const missing = (['client_id', 'client_secret', 'redirect_uri'] as const).filter((name) => !values[name]);
    if (missing.length > 0) return `the OAuth app needs ${missing.join(', ')}`;
    for (const name of ['redirect_uri', 'authorize_url'] as const) {
      if (values[name] && !URL.canParse(values[name])) return `${name} must be a URL`;
    }
    return null;
  },
  build: (values, deps) => {
    const directory = {
      customerOf: deps.directory.customerOf,
      contactOfEmail: deps.directory.contactOfEmail,
    };
    const apiBase = values.api_base ? { baseUrl: values.api_base } : {};
    if (values.access_token)
      return createHubSpotCrmConnector({ token: values.access_token, ...apiBase, ...directory });
    // OAuth: the tokens the admin's "Connect HubSpot" stored, refreshed once for all concurrent callers.
    const manager = createHubSpotTokenManager({
      vault: deps.vault,
      client: createHubSpotOAuthClient(hubspotOAuthApp(values)),
    });
    return createHubSpotCrmConnector({
      token: () => manager.get(),
      onUnauthorized: (refused) => manager.invalidate(refused),
      ...apiBase,
      ...directory,
    });
  },
};

/** The HubSpot OAuth app of a backend's values (validated: client id, secret and redirect URL given). */
export function hubspotOAuthApp(values: Record<string, string>): HubSpotOAuthApp {
  return {
    clientId: values.client_id!,
    clientSecret: values.client_secret!,
    redirectUri: values.redirect_uri!,
    ...(values.scopes ? { scopes: values.scopes.split(/[\s,]+/).filter(Boolean) } : {}),
    ...(values.api_base ? { apiBase: values.api_base } : {}),
    ...(values.authorize_url ? { authorizeUrl: values.authorize_url } : {}),
  };
}

const zendesk: VendorBackend = {
  kind: 'ticketing',
  id: 'zendesk',
  title: 'Zendesk Support',
  fields: [
    {
      name: 'subdomain',
      label: 'Subdomain',
      secret: false,
      required: false,
      env: 'ZENDESK_SUBDOMAIN',
      help: 'acme for https://acme.zendesk.com (or give the API base URL)',
    },
    {
      name: 'email',
      label: 'Agent email',
      secret: false,
      required: true,
      env: 'ZENDESK_EMAIL',
      help: 'the agent the API token acts as',
    },
    {
      name: 'api_token',
      label: 'API token',
      secret: true,
      required: true,
      env: 'ZENDESK_API_TOKEN',
      help: 'Admin Center → Apps and integrations → Zendesk API',
    },
    urlField('ZENDESK_API_BASE', 'https://{subdomain}.zendesk.com by default; a proxy or a local fake'),
  ],
  validate(values) {
    const missing = missingRequired(this, values);
    if (missing) return missing;
    if (!values.subdomain && !values.api_base) return 'give the Zendesk subdomain (or the API base URL)';
    if (values.subdomain && !/^[a-z0-9][a-z0-9-]*$/i.test(values.subdomain))
      return 'the subdomain is the first label of {subdomain}.zendesk.com';
    return null;
  },
  build: (values, { directory }) =>
    createZendeskTicketingConnector({
      auth: { type: 'api_token', email: values.email!, apiToken: values.api_token! },
      ...(values.subdomain ? { subdomain: values.subdomain } : {}),
      ...(values.api_base ? { baseUrl: values.api_base } : {}),
      customerOf: directory.customerOf,
    }),
};

/** The scopes the calendar backend asks for: events and free/busy, nothing else of the calendar. */
export const googleCalendarScopes = [
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.freebusy',
];

const serviceAccountKeySchema = z.object({
  type: z.literal('service_account'),
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY'),
});

const googleCalendar: VendorBackend = {
  kind: 'calendar',
  id: 'google',
  title: 'Google Calendar',
  fields: [
    {
      name: 'service_account_key',
      label: 'Service-account key (JSON)',
      secret: true,
      required: false,
      env: 'GOOGLE_SERVICE_ACCOUNT_KEY',
      help: 'the JSON key of a service account the engineers’ calendars are shared with, or that has domain-wide delegation',
    },
    {
      name: 'subject',
      label: 'Impersonated user (domain-wide delegation)',
      secret: false,
      required: false,
      env: 'GOOGLE_CALENDAR_SUBJECT',
      help: 'a Workspace user the service account acts as; empty: the service account itself',
    },
    {
      name: 'access_token',
      label: 'Static access token',
      secret: true,
      required: false,
      env: 'GOOGLE_CALENDAR_ACCESS_TOKEN',
      help: 'instead of a key: a token you refresh yourself (tests, short trials)',
    },
    urlField('GOOGLE_API_ROOT', 'https://www.googleapis.com/ by default; a local fake'),
    {
      name: 'calendar_ids',
      label: 'Engineers’ calendars',
      secret: false,
      required: false,
      env: 'GOOGLE_CALENDAR_IDS',
      help: 'JSON {"engineer@your.domain": "calendar id"} for engineers whose calendar is not their own address; the others use their email',
    },
  ],
  validate(values) {
    // Neither a key nor a token: the calendar runs on the Google Workspace connection (feature
    // `calendar`), connected on /admin → Google Workspace.
    if (values.calendar_ids) {
      const problem = calendarIdsProblem(values.calendar_ids);
      if (problem) return problem;
    }
    if (values.service_account_key) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(values.service_account_key);
      } catch {
        return 'the service-account key is not JSON';
      }
      if (!serviceAccountKeySchema.safeParse(parsed).success)
        return 'the service-account key needs type "service_account", client_email and private_key';
    }
    return null;
  },
  build(values, { db, google }) {
    const connection = !values.service_account_key && !values.access_token ? google : undefined;
    if (!values.service_account_key && !values.access_token && !google)
      throw new Error('Google Calendar needs a service-account key, a static token or the Google connection');
    const auth = values.service_account_key
      ? serviceAccountAuth(values.service_account_key, values.subject)
      : connection
        ? connectionAuth(connection)
        : { getAccessToken: async () => values.access_token!, onUnauthorized: () => {} };
    const calendarIds = values.calendar_ids
      ? parseCalendarIds(values.calendar_ids)
      : new Map<string, string>();
    const rootUrl = values.api_base ?? connection?.rootUrl;
    return createGoogleCalendarConnector({
      db,
      ...auth,
      ...(rootUrl ? { rootUrl } : {}),
      // Engineers' calendars are their Google calendars, named by their email address, unless the
      // admin mapped an engineer to another calendar.
      calendarIdForEngineer: (engineer) => calendarIds.get(engineer.email.toLowerCase()) ?? engineer.email,
    });
  },
};

/**
 * The Calendar backend on the Google Workspace connection: a token for the `calendar` feature
 * (refreshed single-flight by the connection), and a refused token reported so the pipeline's retry
 * gets a fresh one. Not connected, revoked, or connected without Calendar → the connection's
 * `auth_expired` / `forbidden`, which the pipeline reports like any credential failure.
 *
 * The token is taken before a booking transaction opens (`prepareAccessToken`) and reused inside it
 * for a short while: the connection reads the vault, which on the embedded database (one connection)
 * would wait for the transaction holding it. The connection hands out tokens valid for at least a
 * minute, so reuse for 30 s never sends an expired one; a 401 drops it at once.
 */
function connectionAuth(connection: GoogleConnection, clock: () => number = Date.now) {
  const reuseMs = 30_000;
  let held: { token: string; at: number } | null = null;
  const fresh = async () => {
    held = { token: await connection.accessToken('calendar'), at: clock() };
    return held.token;
  };
  return {
    async getAccessToken() {
      return held && clock() - held.at < reuseMs ? held.token : fresh();
    },
    async prepareAccessToken() {
      // Always asked anew here, outside the transaction: a reconnect's new grant is used at once.
      await fresh();
    },
    onUnauthorized: () => {
      if (held) connection.invalidate(held.token);
      held = null;
    },
  };
}

const calendarIdsSchema = z.record(
  z.email().transform((email) => email.toLowerCase()),
  z
    .string()
    .trim()
    .regex(/^[^\s@]+@[^\s@]+$|^primary$/, 'a calendar id looks like an address'),
);

/** What is wrong with an engineer → calendar mapping, or null. */
function calendarIdsProblem(raw: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'the engineers’ calendars must be JSON: {"engineer@your.domain": "calendar id"}';
  }
  const checked = calendarIdsSchema.safeParse(parsed);
  return checked.success
    ? null
    : `the engineers’ calendars: ${checked.error.issues[0]?.message ?? 'invalid'} (keys are engineers’ emails)`;
}

function parseCalendarIds(raw: string): Map<string, string> {
  return new Map(Object.entries(calendarIdsSchema.parse(JSON.parse(raw))));
}

/**
 * A service account's access tokens (google-auth-library signs the JWT grant and caches the token
 * until shortly before it expires); after a 401 the next call fetches a fresh one.
 */
function serviceAccountAuth(keyJson: string, subject: string | undefined) {
  const key = serviceAccountKeySchema.parse(JSON.parse(keyJson));
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    scopes: googleCalendarScopes,
    ...(subject ? { subject } : {}),
  });
  let stale = false;
  return {
    async getAccessToken() {
      if (stale) {
        stale = false;
        const fresh = await client.authorize();
        if (fresh.access_token) return fresh.access_token;
      }
      const { token } = await client.getAccessToken();
      if (!token) throw new Error('Google issued no access token for the service account');
      return token;
    },
    onUnauthorized: () => {
      stale = true;
    },
  };
}

/** Every vendor backend, by kind. */
export const vendorBackends: Record<SelectableKind, VendorBackend[]> = {
  billing: [stripe],
  crm: [hubspot],
  ticketing: [zendesk],
  calendar: [googleCalendar],
};

/** The vendor backend `id` of `kind`, or undefined (the built-in backend, or an unknown name). */
export function vendorBackend(kind: SelectableKind, id: string): VendorBackend | undefined {
  return vendorBackends[kind].find((backend) => backend.id === id);
}
