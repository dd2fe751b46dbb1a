import { z } from 'zod';

/**
 * The external knowledge sources synced into the index: the Zendesk Guide help center. Setting
 * ZENDESK_GUIDE_SUBDOMAIN (or ZENDESK_GUIDE_API_BASE) turns the source on; its credentials come from
 * here or from the vault (connector `knowledge`). docs/knowledge.md ("Zendesk Guide") describes each.
 */
export const knowledgeSourceSettings = {
  ZENDESK_GUIDE_SUBDOMAIN: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/i, 'must be the first label of {subdomain}.zendesk.com')
    .optional(),
  ZENDESK_GUIDE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ZENDESK_GUIDE_LOCALE: z
    .string()
    .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i, 'must be a Help Center locale such as en-us')
    .optional(),
  ZENDESK_GUIDE_SYNC_INTERVAL_MINUTES: z.coerce.number().int().min(5).max(10_080).default(60),
  ZENDESK_GUIDE_EMAIL: z.email().optional(),
  ZENDESK_GUIDE_API_TOKEN: z.string().min(1).optional(),
  ZENDESK_GUIDE_OAUTH_TOKEN: z.string().min(1).optional(),
};

type KnowledgeSourceEnvironment = z.infer<z.ZodObject<typeof knowledgeSourceSettings>>;

/** The Zendesk Guide settings of a parsed configuration (the shape knowledge/sources expects), or null. */
export function zendeskGuideSettingsOf(config: KnowledgeSourceEnvironment): {
  subdomain?: string;
  baseUrl?: string;
  locale?: string;
  intervalMs: number;
  email?: string;
  apiToken?: string;
  oauthToken?: string;
} | null {
  if (!config.ZENDESK_GUIDE_SUBDOMAIN && !config.ZENDESK_GUIDE_API_BASE) return null;
  return {
    ...(config.ZENDESK_GUIDE_SUBDOMAIN ? { subdomain: config.ZENDESK_GUIDE_SUBDOMAIN } : {}),
    ...(config.ZENDESK_GUIDE_API_BASE ? { baseUrl: config.ZENDESK_GUIDE_API_BASE } : {}),
    ...(config.ZENDESK_GUIDE_LOCALE ? { locale: config.ZENDESK_GUIDE_LOCALE.toLowerCase() } : {}),
    intervalMs: config.ZENDESK_GUIDE_SYNC_INTERVAL_MINUTES * 60_000,
    ...(config.ZENDESK_GUIDE_EMAIL ? { email: config.ZENDESK_GUIDE_EMAIL } : {}),
    ...(config.ZENDESK_GUIDE_API_TOKEN ? { apiToken: config.ZENDESK_GUIDE_API_TOKEN } : {}),
    ...(config.ZENDESK_GUIDE_OAUTH_TOKEN ? { oauthToken: config.ZENDESK_GUIDE_OAUTH_TOKEN } : {}),
  };
}
