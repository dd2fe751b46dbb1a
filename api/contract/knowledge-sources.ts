import { z } from 'zod';

/** The external knowledge sources on /admin: their settings, last sync and what it did. */

export const knowledgeSourceIds = ['zendesk-guide', 'google-drive'] as const;

export const knowledgeSourceParamsSchema = z.object({ id: z.enum(knowledgeSourceIds) });

/** What the last sync did (counts; the articles are listed on the knowledge page). */
export const knowledgeSyncReportSchema = z.object({
  created: z.number(),
  updated: z.number(),
  deleted: z.number(),
  unchanged: z.number(),
  skipped: z.number(),
  errors: z.array(z.object({ articleId: z.number().nullable(), message: z.string() })),
  /** False when the export was not read to its end; the next run goes on. */
  complete: z.boolean(),
  /** Google Drive: files seen but not indexed, and why (type not read, not shared, too large…). */
  skippedFiles: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
  /** Google Drive: `full` (the folder listed) or `incremental` (the changes feed). */
  mode: z.enum(['full', 'incremental']).optional(),
});

/**
 * The Google Drive source's settings, as /admin edits them (knowledge/sources/google-drive/settings.ts
 * validates them again before storing).
 */
export const driveSourceSettingsSchema = z.object({
  folderId: z.string().trim().min(5).max(200),
  domain: z.string().trim().max(253).nullable().default(null),
  domainVisibility: z.enum(['public', 'internal']).default('internal'),
  docsExport: z.enum(['html', 'markdown']).default('html'),
  intervalMinutes: z.number().int().min(5).max(10_080).default(60),
});

export const knowledgeSourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** False until ZENDESK_GUIDE_SUBDOMAIN (or _API_BASE) is set; a sync cannot be requested then. */
  configured: z.boolean(),
  host: z.string().nullable(),
  locale: z.string().nullable(),
  intervalMinutes: z.number().nullable(),
  /** Articles of this source in the index. */
  articles: z.number(),
  /** Changes after this time are what the next sync reads (null: the first sync takes everything). */
  syncedThrough: z.string().nullable(),
  running: z.boolean(),
  lastStartedAt: z.string().nullable(),
  lastFinishedAt: z.string().nullable(),
  lastStatus: z.enum(['ok', 'failed']).nullable(),
  lastError: z.string().nullable(),
  lastReport: knowledgeSyncReportSchema.nullable(),
  /** Google Drive only: the stored settings (null until an admin sets the source up). */
  drive: driveSourceSettingsSchema.nullable().optional(),
});

export const knowledgeSourceListResponseSchema = z.object({ sources: z.array(knowledgeSourceSchema) });
export const knowledgeSyncResponseSchema = z.object({ queued: z.literal(true), source: z.string() });

export const driveSettingsResponseSchema = z.object({ source: knowledgeSourceSchema });

export type KnowledgeSource = z.infer<typeof knowledgeSourceSchema>;
export type DriveSourceSettings = z.infer<typeof driveSourceSettingsSchema>;
export type KnowledgeSourceListResponse = z.infer<typeof knowledgeSourceListResponseSchema>;
export type KnowledgeSyncReport = z.infer<typeof knowledgeSyncReportSchema>;
export type KnowledgeSyncResponse = z.infer<typeof knowledgeSyncResponseSchema>;
