import { z } from 'zod';

const optionalUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional();
const secret = z.string().min(1).optional();

/**
 * Which system each selectable connector kind runs on, and the vendors' settings, from the
 * environment. A `*_BACKEND` variable pins the kind (the admin page shows it and cannot change it);
 * unset, the admin page's choice stands, and without one the built-in backend (our own tables).
 * Each vendor setting, when set here, wins over the value stored from the admin page.
 * docs/connectors.md ("Choosing a backend") describes each.
 */
export const backendSettings = {
  BILLING_BACKEND: z.enum(['builtin', 'stripe']).optional(),
  CRM_BACKEND: z.enum(['builtin', 'hubspot']).optional(),
  TICKETING_BACKEND: z.enum(['builtin', 'zendesk']).optional(),
  CALENDAR_BACKEND: z.enum(['builtin', 'google']).optional(),
  STRIPE_SECRET_KEY: secret,
  STRIPE_API_BASE: optionalUrl,
  STRIPE_PORTAL_RETURN_URL: optionalUrl,
  /**
   * Signing secret of the Stripe webhook endpoint (POST /api/webhooks/stripe); unset: the one stored
   * from the admin page, and without either every delivery is refused (503).
   */
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .startsWith('whsec_', 'must be the endpoint signing secret (whsec_…)')
    .optional(),
  HUBSPOT_ACCESS_TOKEN: secret,
  HUBSPOT_API_BASE: optionalUrl,
  /** A HubSpot OAuth app instead of a private-app token ("Connect HubSpot" on /admin stores its tokens). */
  HUBSPOT_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  HUBSPOT_OAUTH_CLIENT_SECRET: secret,
  HUBSPOT_OAUTH_REDIRECT_URI: optionalUrl,
  /** Space-separated; default: the CRM scopes docs/connectors.md lists. */
  HUBSPOT_OAUTH_SCOPES: z.string().min(1).optional(),
  HUBSPOT_OAUTH_AUTHORIZE_URL: optionalUrl,
  ZENDESK_SUBDOMAIN: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/i, 'must be the first label of {subdomain}.zendesk.com')
    .optional(),
  ZENDESK_EMAIL: z.email().optional(),
  ZENDESK_API_TOKEN: secret,
  ZENDESK_API_BASE: optionalUrl,
  /** The service account's JSON key itself (not a path), as Google's console downloads it. */
  GOOGLE_SERVICE_ACCOUNT_KEY: secret,
  GOOGLE_CALENDAR_SUBJECT: z.email().optional(),
  GOOGLE_CALENDAR_ACCESS_TOKEN: secret,
  /** JSON {"engineer@domain": "calendar id"}: engineers whose calendar is not their own address. */
  GOOGLE_CALENDAR_IDS: z.string().min(2).optional(),
  GOOGLE_API_ROOT: optionalUrl,
  /**
   * The Google Workspace connection's OAuth client (a "Web application" client of the Google Cloud
   * project; docs/connectors.md, "Google Workspace"); unset: what the admin saved on /admin.
   */
  GOOGLE_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_OAUTH_CLIENT_SECRET: secret,
  /** The client's authorised redirect URI: `https://<this server>/admin/google/callback`. */
  GOOGLE_OAUTH_REDIRECT_URL: optionalUrl,
  /** Google's OAuth endpoints, for a local fake (tests, demos); Google's by default. */
  GOOGLE_OAUTH_AUTH_URL: optionalUrl,
  GOOGLE_OAUTH_TOKEN_URL: optionalUrl,
  GOOGLE_OAUTH_REVOKE_URL: optionalUrl,
  GOOGLE_OAUTH_TOKENINFO_URL: optionalUrl,
};

const backendSchema = z.object(backendSettings);
export type BackendEnvironment = z.infer<typeof backendSchema>;
/** The names of the vendor settings (every backend variable but the `*_BACKEND` choices). */
export type BackendSettingName = Exclude<keyof BackendEnvironment, `${string}_BACKEND`>;

/** The backend settings of an already-parsed configuration (which may hold other settings too). */
export function backendEnvironmentOf(
  config: Partial<Record<keyof BackendEnvironment, unknown>>,
): BackendEnvironment {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(backendSettings)) {
    if (config[name as keyof BackendEnvironment] !== undefined)
      picked[name] = config[name as keyof BackendEnvironment];
  }
  return picked as BackendEnvironment;
}
