import { z } from 'zod';
import type { Queryable } from '../../../connectors/core/queryable.ts';
import type { Visibility } from '../../documents.ts';
import type { DrivePermission } from './client.ts';

/** The id of the Google Drive source in `knowledge_sources`. */
export const googleDriveSourceId = 'google-drive';

/**
 * What an admin sets for the Drive source on /admin (stored in `knowledge_sources.settings`; no
 * secret here: the Google connection holds the OAuth grant).
 */
export const driveSettingsSchema = z.object({
  /** The Drive folder whose files (and subfolders' files) become articles: the id in its URL. */
  folderId: z
    .string()
    .trim()
    .regex(
      /^[A-Za-z0-9_-]{5,200}$/,
      'must be a Drive folder id (the part of the folder URL after /folders/)',
    ),
  /**
   * The company's Google Workspace domain (`acme.com`). A file shared with "anyone at acme.com" gets
   * `domainVisibility`; sharing with another domain counts for nothing. Null: only files shared
   * with anyone (with the link) are indexed.
   */
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/,
      'must be a domain such as acme.com',
    )
    .nullable()
    .default(null),
  /** The visibility of a file shared with the domain but not with anyone (default: staff only). */
  domainVisibility: z.enum(['public', 'internal']).default('internal'),
  /** Google Docs are exported as HTML (tables and lists converted by our HTML path) or as Markdown. */
  docsExport: z.enum(['html', 'markdown']).default('html'),
  /** How often the scheduled sync runs. */
  intervalMinutes: z.number().int().min(5).max(10_080).default(60),
});
export type DriveSettings = z.infer<typeof driveSettingsSchema>;
export type DriveSettingsInput = z.input<typeof driveSettingsSchema>;

/** The stored settings, or null while an admin has not set the source up (or cleared it). */
export async function readDriveSettings(db: Queryable): Promise<DriveSettings | null> {
  const { rows } = await db.query<{ settings: unknown }>(
    'SELECT settings FROM knowledge_sources WHERE id = $1',
    [googleDriveSourceId],
  );
  const stored = rows[0]?.settings;
  if (stored == null) return null;
  const parsed = driveSettingsSchema.safeParse(stored);
  return parsed.success ? parsed.data : null;
}

/**
 * Stores the settings (validated). A different folder or domain rule takes effect at the next run:
 * the folder is compared with the one last synced, and a new one starts with a full resync.
 */
export async function saveDriveSettings(
  db: Queryable,
  input: DriveSettingsInput | null,
): Promise<DriveSettings | null> {
  const settings = input === null ? null : driveSettingsSchema.parse(input);
  await db.query(
    `INSERT INTO knowledge_sources (id, settings) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`,
    [googleDriveSourceId, settings === null ? null : JSON.stringify(settings)],
  );
  return settings;
}

/**
 * How Drive sharing maps to article visibility, decided per file from its permissions:
 * - shared with **anyone** (public on the web or anyone with the link) → `public`;
 * - else shared with **the company domain** (`settings.domain`) → `settings.domainVisibility`;
 * - else (only named people or groups) → null: not indexed, and removed if it was.
 * Roles do not matter (a reader is enough). A Markdown file's front matter may narrow `public` to
 * `internal`, never widen it.
 */
export function visibilityFromPermissions(
  permissions: readonly DrivePermission[],
  settings: Pick<DriveSettings, 'domain' | 'domainVisibility'>,
): Visibility | null {
  if (permissions.some((permission) => permission.type === 'anyone')) return 'public';
  const domain = settings.domain?.toLowerCase();
  if (
    domain &&
    permissions.some(
      (permission) => permission.type === 'domain' && permission.domain?.toLowerCase() === domain,
    )
  )
    return settings.domainVisibility;
  return null;
}

/** Records a run that could not start (not set up, Google not connected) as the source's last outcome. */
export async function recordDriveFailure(db: Queryable, message: string): Promise<void> {
  await db.query(
    `INSERT INTO knowledge_sources (id, last_status, last_error, last_started_at, last_finished_at)
     VALUES ($1, 'failed', $2, now(), now())
     ON CONFLICT (id) DO UPDATE SET last_status = 'failed', last_error = EXCLUDED.last_error,
       last_report = NULL, last_started_at = now(), last_finished_at = now(), updated_at = now()`,
    [googleDriveSourceId, message],
  );
}

/** Whether the scheduled run is due: the last run started at least `intervalMinutes` ago (or never ran). */
export async function isDriveSyncDue(db: Queryable, settings: DriveSettings): Promise<boolean> {
  const { rows } = await db.query<{ due: boolean }>(
    `SELECT (last_started_at IS NULL OR last_started_at <= now() - make_interval(mins => $2)) AS due
     FROM knowledge_sources WHERE id = $1`,
    [googleDriveSourceId, settings.intervalMinutes],
  );
  return rows[0]?.due ?? true;
}
