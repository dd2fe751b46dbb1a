import { googleDriveSyncJobId, zendeskGuideSyncJobId } from '../../jobs/knowledge-sync-job.ts';
import {
  type DriveSyncReport,
  driveSettingsSchema,
  googleDriveSourceId,
  readDriveSettings,
  saveDriveSettings,
} from '../../knowledge/sources/google-drive/index.ts';
import {
  type KnowledgeSourceStatus,
  readKnowledgeSources,
  zendeskGuideSourceId,
} from '../../knowledge/sources/zendesk-guide/index.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  driveSettingsResponseSchema,
  driveSourceSettingsSchema,
  type KnowledgeSource,
  knowledgeSourceListResponseSchema,
  knowledgeSourceParamsSchema,
  knowledgeSyncResponseSchema,
} from '../contract/knowledge-sources.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange, iso } from './shared.ts';

const names: Record<string, string> = {
  [zendeskGuideSourceId]: 'Zendesk Guide (help center)',
  [googleDriveSourceId]: 'Google Drive folder',
};

/** The Drive source as /admin shows it: its settings are edited there, its reports name skipped files. */
function driveView(status: KnowledgeSourceStatus | undefined): KnowledgeSource {
  const settings = status?.settings ? driveSettingsSchema.safeParse(status.settings) : null;
  const drive = settings?.success ? settings.data : null;
  const report = (status?.lastReport ?? null) as unknown as DriveSyncReport | null;
  return {
    id: googleDriveSourceId,
    name: names[googleDriveSourceId]!,
    configured: drive !== null,
    host: drive ? `drive.google.com/drive/folders/${drive.folderId}` : null,
    locale: null,
    intervalMinutes: drive?.intervalMinutes ?? null,
    articles: status?.articles ?? 0,
    syncedThrough: null,
    running: status?.running ?? false,
    lastStartedAt: iso(status?.lastStartedAt ?? null),
    lastFinishedAt: iso(status?.lastFinishedAt ?? null),
    lastStatus: status?.lastStatus ?? null,
    lastError: status?.lastError ?? null,
    lastReport: report && {
      created: report.created.length,
      updated: report.updated.length,
      deleted: report.deleted.length,
      unchanged: report.unchanged,
      skipped: report.skipped.length,
      errors: report.errors.map((error) => ({
        articleId: null,
        message: error.name ? `${error.name}: ${error.message}` : error.message,
      })),
      complete: report.complete,
      skippedFiles: report.skipped.map((skip) => ({ name: skip.name, reason: skip.reason })),
      mode: report.mode,
    },
    drive,
  };
}

function view(status: KnowledgeSourceStatus | undefined, id: string): KnowledgeSource {
  const report = status?.lastReport ?? null;
  return {
    id,
    name: names[id] ?? id,
    configured: Boolean(status?.settings),
    host: status?.settings?.host ?? null,
    locale: status?.settings?.locale ?? null,
    intervalMinutes: status?.settings ? Math.round(status.settings.intervalMs / 60_000) : null,
    articles: status?.articles ?? 0,
    syncedThrough: status?.cursor != null ? new Date(status.cursor * 1000).toISOString() : null,
    running: status?.running ?? false,
    lastStartedAt: iso(status?.lastStartedAt ?? null),
    lastFinishedAt: iso(status?.lastFinishedAt ?? null),
    lastStatus: status?.lastStatus ?? null,
    lastError: status?.lastError ?? null,
    lastReport: report && {
      created: report.created.length,
      updated: report.updated.length,
      deleted: report.deleted.length,
      unchanged: report.unchanged,
      skipped: report.skipped,
      errors: report.errors,
      complete: report.complete,
    },
  };
}

/** External knowledge sources: their state, and a sync on demand (a queued `knowledge.sync` job). */
export async function registerKnowledgeSourceRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;

  app.get(
    '/api/admin/knowledge/sources',
    {
      schema: {
        ...adminSchema,
        summary: 'External knowledge sources (Zendesk Guide): settings, last sync and what it did',
        response: { 200: knowledgeSourceListResponseSchema },
      },
    },
    async () => {
      const stored = await readKnowledgeSources(pool);
      return {
        sources: [
          view(
            stored.find((source) => source.id === zendeskGuideSourceId),
            zendeskGuideSourceId,
          ),
          driveView(stored.find((source) => source.id === googleDriveSourceId)),
        ],
      };
    },
  );

  app.post(
    '/api/admin/knowledge/sources/:id/sync',
    {
      schema: {
        ...adminSchema,
        summary:
          'Sync a knowledge source now (a queued job; GET /api/admin/knowledge/sources shows its outcome)',
        params: knowledgeSourceParamsSchema,
        response: { 202: knowledgeSyncResponseSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (id === googleDriveSourceId) {
        if (!(await readDriveSettings(pool)))
          throw new ApiError('conflict', 'The Google Drive source is not set up: save its folder first');
        await context.jobs.enqueue(
          'knowledge.sync',
          { source: id, reason: 'admin', requestedBy: request.human?.id ?? null },
          { jobId: googleDriveSyncJobId },
        );
        request.log.info({ source: id, adminId: request.human?.id }, 'knowledge source sync queued');
        return reply.code(202).send({ queued: true, source: id });
      }
      const status = (await readKnowledgeSources(pool)).find((source) => source.id === id);
      if (!status?.settings) {
        throw new ApiError(
          'conflict',
          'The Zendesk Guide source is not configured: set ZENDESK_GUIDE_SUBDOMAIN (and credentials) and restart',
        );
      }
      // The same id as the schedule's: a sync already waiting absorbs this one.
      await context.jobs.enqueue(
        'knowledge.sync',
        { source: id, reason: 'admin', requestedBy: request.human?.id ?? null },
        { jobId: zendeskGuideSyncJobId },
      );
      request.log.info({ source: id, adminId: request.human?.id }, 'knowledge source sync queued');
      return reply.code(202).send({ queued: true, source: id });
    },
  );

  app.put(
    '/api/admin/knowledge/sources/google-drive/settings',
    {
      schema: {
        ...adminSchema,
        summary:
          'Set up the Google Drive source: the folder, the company domain and what visibility domain-shared files get',
        body: driveSourceSettingsSchema,
        response: { 200: driveSettingsResponseSchema },
      },
    },
    async (request) => {
      const parsed = driveSettingsSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ApiError('validation_failed', `${issue.path.join('.') || 'settings'}: ${issue.message}`);
      }
      await saveDriveSettings(pool, parsed.data);
      await auditAdminChange(pool, request.human!, 'knowledge', 'admin.set_google_drive_source', parsed.data);
      request.log.info(
        { source: googleDriveSourceId, adminId: request.human?.id },
        'Google Drive source set up',
      );
      const stored = await readKnowledgeSources(pool);
      return { source: driveView(stored.find((source) => source.id === googleDriveSourceId)) };
    },
  );
}
