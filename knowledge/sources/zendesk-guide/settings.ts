import type { Queryable } from '../../../connectors/core/queryable.ts';
import type { CredentialVault } from '../../../connectors/core/vault.ts';
import type { GuideSyncReport } from './sync.ts';
import { zendeskGuideSourceId } from './sync.ts';
import type { ZendeskAuth } from './transport.ts';

/** How the Zendesk Guide source is configured (from the environment; app/ maps the variables). */
export interface ZendeskGuideSettings {
  /** `acme` of acme.zendesk.com; or `baseUrl` (a proxy, a fake). One of the two makes the source configured. */
  subdomain?: string;
  baseUrl?: string;
  /** Only articles displayed in this locale are indexed; unset: all. */
  locale?: string;
  /** How often the scheduled sync runs. */
  intervalMs: number;
  /** Credentials from the environment; each wins over the one stored in the vault. */
  email?: string;
  apiToken?: string;
  oauthToken?: string;
}

/** Where the admin page stores the source's credentials: the vault, under the knowledge connector. */
export const guideVaultConnector = 'knowledge';
export const guideVaultFields = {
  email: 'zendesk_guide_email',
  apiToken: 'zendesk_guide_api_token',
  oauthToken: 'zendesk_guide_oauth_token',
} as const;

/** The source cannot run: not configured, or no credentials. */
export class GuideNotConfiguredError extends Error {
  override name = 'GuideNotConfiguredError';
}

export const isGuideConfigured = (
  settings: ZendeskGuideSettings | null | undefined,
): settings is ZendeskGuideSettings => Boolean(settings && (settings.subdomain || settings.baseUrl));

/**
 * The credentials the source signs in with: an OAuth token, else an agent's email and API token;
 * each value from the environment, else from the vault (connector `knowledge`).
 */
export async function guideAuth(
  settings: ZendeskGuideSettings,
  vault?: Pick<CredentialVault, 'get'>,
): Promise<ZendeskAuth> {
  const stored = async (field: string) => (vault ? await vault.get(guideVaultConnector, field) : null);
  const oauthToken = settings.oauthToken ?? (await stored(guideVaultFields.oauthToken));
  if (oauthToken) return { type: 'oauth', accessToken: oauthToken };
  const email = settings.email ?? (await stored(guideVaultFields.email));
  const apiToken = settings.apiToken ?? (await stored(guideVaultFields.apiToken));
  if (email && apiToken) return { type: 'api_token', email, apiToken };
  throw new GuideNotConfiguredError(
    `the Zendesk Guide source has no credentials: set ZENDESK_GUIDE_EMAIL and ZENDESK_GUIDE_API_TOKEN (or ZENDESK_GUIDE_OAUTH_TOKEN), or store ${guideVaultFields.email} and ${guideVaultFields.apiToken} for the "${guideVaultConnector}" connector on /admin`,
  );
}

/** The non-secret settings recorded for the admin page (credentials never leave the vault/env). */
export interface RecordedGuideSettings {
  host: string;
  locale: string | null;
  intervalMs: number;
}

/**
 * Records how this process configured the source (NULL: not configured), so the admin API (which
 * may run in another process than the scheduler) can tell whether a sync can run.
 */
export async function recordGuideSettings(
  db: Queryable,
  settings: ZendeskGuideSettings | null | undefined,
): Promise<void> {
  const recorded: RecordedGuideSettings | null = isGuideConfigured(settings)
    ? {
        host: settings.baseUrl ?? `https://${settings.subdomain}.zendesk.com`,
        locale: settings.locale ?? null,
        intervalMs: settings.intervalMs,
      }
    : null;
  await db.query(
    `INSERT INTO knowledge_sources (id, settings) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`,
    [zendeskGuideSourceId, recorded === null ? null : JSON.stringify(recorded)],
  );
}

/** A source as the admin page shows it. */
export interface KnowledgeSourceStatus {
  id: string;
  settings: RecordedGuideSettings | null;
  cursor: number | null;
  running: boolean;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  lastStatus: 'ok' | 'failed' | null;
  lastReport: GuideSyncReport | null;
  lastError: string | null;
  articles: number;
}

/** Every known source with its last run (the Zendesk Guide row exists once a process has started). */
export async function readKnowledgeSources(db: Queryable): Promise<KnowledgeSourceStatus[]> {
  const { rows } = await db.query<{
    id: string;
    settings: RecordedGuideSettings | null;
    cursor_start_time: string | null;
    running_since: Date | null;
    last_started_at: Date | null;
    last_finished_at: Date | null;
    last_status: 'ok' | 'failed' | null;
    last_report: GuideSyncReport | null;
    last_error: string | null;
    articles: number;
  }>(
    `SELECT s.*, (SELECT count(*)::int FROM knowledge_source_articles m WHERE m.source_id = s.id) AS articles
     FROM knowledge_sources s ORDER BY s.id`,
  );
  return rows.map((row) => ({
    id: row.id,
    settings: row.settings,
    cursor: row.cursor_start_time === null ? null : Number(row.cursor_start_time),
    running: row.running_since !== null,
    lastStartedAt: row.last_started_at,
    lastFinishedAt: row.last_finished_at,
    lastStatus: row.last_status,
    lastReport: row.last_report,
    lastError: row.last_error,
    articles: row.articles,
  }));
}

/** Records a run that could not start (not configured, no credentials) as the source's last outcome. */
export async function recordGuideFailure(db: Queryable, message: string): Promise<void> {
  await db.query(
    `INSERT INTO knowledge_sources (id, last_status, last_error, last_started_at, last_finished_at)
     VALUES ($1, 'failed', $2, now(), now())
     ON CONFLICT (id) DO UPDATE SET last_status = 'failed', last_error = EXCLUDED.last_error,
       last_report = NULL, last_started_at = now(), last_finished_at = now(), updated_at = now()`,
    [zendeskGuideSourceId, message],
  );
}
