import { createHash } from 'node:crypto';
import type pg from 'pg';
import pino, { type Logger } from 'pino';
import { extractText, getDocumentProxy } from 'unpdf';
import { ConnectorError } from '../../../connectors/core/errors.ts';
import type { Queryable } from '../../../connectors/core/queryable.ts';
import { parseDocument, type RawDocument, type SourceFormat, type Visibility } from '../../documents.ts';
import { DocumentError } from '../../errors.ts';
import type { KnowledgeIngester } from '../../ingest.ts';
import {
  type DriveClient,
  DriveError,
  type DriveFile,
  driveFolderMimeType,
  googleDocMimeType,
} from './client.ts';
import { type DriveSettings, googleDriveSourceId, visibilityFromPermissions } from './settings.ts';

/** The index slug of a Drive file: stable across renames and moves (Drive ids are case-sensitive, slugs are not). */
export const driveSlug = (fileId: string): string =>
  `gdrive-${createHash('sha256').update(fileId).digest('hex').slice(0, 20)}`;

/** What one sync did. */
export interface DriveSyncReport {
  /** `full`: the folder tree listed; `incremental`: the changes feed read from the stored token. */
  mode: 'full' | 'incremental';
  /** Why a full sync ran (first sync, new folder, token refused, a subfolder moved). */
  fullReason: string | null;
  created: string[];
  updated: string[];
  /** Files whose version was already indexed: neither downloaded nor embedded. */
  unchanged: number;
  /** Removed from the index: deleted, trashed, moved out of the folder, no longer shared, unreadable. */
  deleted: string[];
  /** Files seen but not indexed, each with why (type we do not read, not shared, too large…). */
  skipped: Array<{ fileId: string; name: string; reason: string }>;
  /** Files that could not be indexed (a document we could not parse, an export refused). */
  errors: Array<{ fileId: string | null; name: string | null; message: string }>;
  /** Files listed (full) or changes read (incremental). */
  seen: number;
  /** Chunks sent to the embedder. */
  chunksEmbedded: number;
  /** The changes page token the next run starts from. */
  pageToken: string | null;
  complete: boolean;
}

/** Limits on what one file may cost. */
export interface DriveFileLimits {
  /** Markdown/text/HTML files and Doc exports larger than this are skipped (default 1 MiB). */
  maxTextBytes?: number;
  /** PDFs larger than this are skipped without download (default 20 MiB). */
  maxPdfBytes?: number;
  /** PDFs with more pages than this are skipped (default 200). */
  maxPdfPages?: number;
}

export interface DriveSyncOptions {
  pool: pg.Pool;
  ingester: KnowledgeIngester;
  client: DriveClient;
  settings: DriveSettings;
  signal?: AbortSignal;
  logger?: Logger;
  /** Tries per Drive call on 429, 5xx or no answer (default 3). */
  attempts?: number;
  /** Longest wait (Retry-After or backoff) sat out before the run gives up (default 60 s). */
  maxWaitMs?: number;
  /** Items per files.list / changes.list page (default 100). */
  pageSize?: number;
  /** A run holding the lease longer than this is presumed dead (default 15 min). */
  leaseMs?: number;
  /** Files held in one run at most (default 5,000): a larger folder fails the run rather than half-sync it. */
  maxFiles?: number;
  limits?: DriveFileLimits;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Another sync of the source holds the lease; nothing was done. */
export class DriveSyncBusyError extends Error {
  override name = 'DriveSyncBusyError';
}

/** What the source remembers between runs besides the page token. */
interface DriveSyncState {
  folderId: string;
  /** The synced folder and every subfolder under it. */
  folders: string[];
}

const abortableSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** How a file's content is read, or why it is not. */
type Reader =
  | { kind: 'export'; mimeType: string; format: SourceFormat }
  | { kind: 'download'; format: SourceFormat }
  | { kind: 'pdf' }
  | { kind: 'skip'; reason: string };

function readerFor(file: DriveFile, settings: DriveSettings): Reader {
  const name = file.name.toLowerCase();
  if (file.mimeType === googleDocMimeType)
    return settings.docsExport === 'markdown'
      ? { kind: 'export', mimeType: 'text/markdown', format: 'markdown' }
      : { kind: 'export', mimeType: 'text/html', format: 'html' };
  if (
    file.mimeType === 'text/markdown' ||
    file.mimeType === 'text/x-markdown' ||
    /\.(md|markdown)$/.test(name)
  )
    return { kind: 'download', format: 'markdown' };
  if (file.mimeType === 'application/pdf') return { kind: 'pdf' };
  if (file.mimeType === 'text/html') return { kind: 'download', format: 'html' };
  if (file.mimeType === 'text/plain') return { kind: 'download', format: 'text' };
  return {
    kind: 'skip',
    reason: `file type ${file.mimeType} is not read (Google Docs, Markdown, PDF, HTML, text are)`,
  };
}

/** A version key of what was indexed: any change of content, name or mapped visibility re-ingests. */
const versionOf = (file: DriveFile, visibility: Visibility) =>
  JSON.stringify([file.version ?? null, file.md5Checksum ?? null, file.modifiedTime, file.name, visibility]);

const titleOf = (name: string) => name.replace(/\.(md|markdown|pdf|html?|txt)$/i, '').trim() || name;

/**
 * Syncs a Google Drive folder into the knowledge index.
 *
 * - **Full** (the first run, a new folder, a refused page token, a subfolder moved in or out): the
 *   page token is taken first (so nothing changed during the listing is missed), then the folder and
 *   its subfolders are listed; every held file no longer listed is removed.
 * - **Incremental**: `changes.list` from the stored token to `newStartPageToken`; each changed file is
 *   in the folder tree (indexed or updated), or not (trashed, deleted, moved out: removed).
 * Per file: its sharing maps to a visibility (`visibilityFromPermissions`; not shared widely enough
 * → removed); an unchanged version is neither downloaded nor embedded; Docs are exported (HTML or
 * Markdown), Markdown/HTML/text files downloaded, PDFs read with unpdf (size and page limits).
 *
 * Everything is read from Drive before anything is written, then written in one transaction with
 * the new page token: a run that fails (429/5xx outlasting the retries, a refused grant) leaves the
 * index and the token as they were, and the next run reads the same changes again.
 */
export async function syncGoogleDrive(options: DriveSyncOptions): Promise<DriveSyncReport> {
  const { pool, client, settings, signal } = options;
  const logger = options.logger ?? pino({ enabled: false });
  const attempts = options.attempts ?? 3;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const pageSize = options.pageSize ?? 100;
  const maxFiles = options.maxFiles ?? 5_000;
  const sleep = options.sleep ?? abortableSleep;
  const maxTextBytes = options.limits?.maxTextBytes ?? 1024 * 1024;
  const maxPdfBytes = options.limits?.maxPdfBytes ?? 20 * 1024 * 1024;
  const maxPdfPages = options.limits?.maxPdfPages ?? 200;
  const id = googleDriveSourceId;

  await pool.query('INSERT INTO knowledge_sources (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [id]);
  const lease = await pool.query<{ cursor_token: string | null; sync_state: DriveSyncState | null }>(
    `UPDATE knowledge_sources SET running_since = now(), last_started_at = now(), updated_at = now()
     WHERE id = $1 AND (running_since IS NULL OR running_since < now() - make_interval(secs => $2))
     RETURNING cursor_token, sync_state`,
    [id, (options.leaseMs ?? 15 * 60_000) / 1000],
  );
  if (lease.rows.length === 0)
    throw new DriveSyncBusyError('a sync of the Google Drive source is already running');
  const storedToken = lease.rows[0]!.cursor_token;
  const storedState = lease.rows[0]!.sync_state;

  const report: DriveSyncReport = {
    mode: 'incremental',
    fullReason: null,
    created: [],
    updated: [],
    unchanged: 0,
    deleted: [],
    skipped: [],
    errors: [],
    seen: 0,
    chunksEmbedded: 0,
    pageToken: storedToken,
    complete: false,
  };

  async function withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const retryable =
          error instanceof ConnectorError && (error.kind === 'rate_limited' || error.kind === 'transient');
        if (!retryable || attempt >= attempts) throw error;
        const waitMs =
          error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 1000 * 2 ** (attempt - 1);
        if (waitMs > maxWaitMs) {
          throw new ConnectorError(
            error.kind,
            `${error.message} (Drive asked to wait ${Math.ceil(waitMs / 1000)} s, longer than the ${Math.ceil(maxWaitMs / 1000)} s a sync waits; the next run starts again from the stored page token)`,
            error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {},
          );
        }
        logger.warn({ err: error, attempt, waitMs }, 'Google Drive call failed; retrying');
        await sleep(waitMs, signal);
      }
    }
  }

  try {
    const { rows: heldRows } = await pool.query<{ external_id: string; external_version: string | null }>(
      'SELECT external_id, external_version FROM knowledge_source_articles WHERE source_id = $1',
      [id],
    );
    const held = new Map(heldRows.map((row) => [row.external_id, row.external_version]));

    // 1. What changed: the files to (re)consider, and the ids that left the folder.
    let fullReason: string | null = null;
    if (!storedToken || !storedState) fullReason = 'first sync';
    else if (storedState.folderId !== settings.folderId) fullReason = 'the folder changed';
    let inScope = new Map<string, DriveFile>();
    const leaving = new Set<string>();
    let folders = new Set(storedState?.folders ?? []);
    let nextToken: string | null = null;

    if (fullReason === null) {
      const incremental = await readChanges(storedToken!, folders);
      if ('fullReason' in incremental) fullReason = incremental.fullReason;
      else {
        inScope = incremental.files;
        for (const fileId of incremental.leaving) leaving.add(fileId);
        nextToken = incremental.token;
      }
    }
    if (fullReason !== null) {
      report.mode = 'full';
      report.fullReason = fullReason;
      logger.info({ reason: fullReason }, 'Google Drive: full sync');
      // Taken before the listing: a change made while listing comes again in the next run.
      nextToken = await withRetries(() => client.startPageToken(signal));
      const listed = await listTree();
      inScope = listed.files;
      folders = listed.folders;
      for (const fileId of held.keys()) if (!inScope.has(fileId)) leaving.add(fileId);
    }

    // 2. Per file: visibility, type, version; read what changed.
    const toIndex: Array<{ file: DriveFile; version: string; raw: RawDocument }> = [];
    const removals = new Set(leaving);
    const unchanged = new Set<string>();
    for (const file of inScope.values()) {
      signal?.throwIfAborted();
      const visibility = visibilityFromPermissions(file.permissions, settings);
      if (visibility === null) {
        removals.add(file.id);
        if (!held.has(file.id))
          report.skipped.push({
            fileId: file.id,
            name: file.name,
            reason: 'not shared with anyone or with the company domain',
          });
        continue;
      }
      const reader = readerFor(file, settings);
      if (reader.kind === 'skip') {
        removals.add(file.id);
        report.skipped.push({ fileId: file.id, name: file.name, reason: reader.reason });
        continue;
      }
      const version = versionOf(file, visibility);
      if (held.get(file.id) === version) {
        unchanged.add(file.id);
        continue;
      }
      const read = await readFile(file, reader, visibility);
      if ('raw' in read) toIndex.push({ file, version, raw: read.raw });
      else {
        // The index must not keep serving a version Drive no longer lets us read.
        removals.add(file.id);
        if (read.skip) report.skipped.push({ fileId: file.id, name: file.name, reason: read.skip });
        else report.errors.push({ fileId: file.id, name: file.name, message: read.error ?? 'unreadable' });
      }
    }
    report.unchanged = unchanged.size;

    // 3. Write everything with the new token in one transaction.
    const { rows: foreign } = await pool.query<{ slug: string }>(
      `SELECT a.slug FROM kb_articles a
         WHERE a.slug = ANY($1) AND NOT EXISTS (
           SELECT 1 FROM knowledge_source_articles m WHERE m.article_slug = a.slug AND m.source_id = $2)`,
      [toIndex.map((item) => driveSlug(item.file.id)), id],
    );
    const taken = new Set(foreign.map((row) => row.slug));
    const writable = toIndex.filter((item) => {
      if (!taken.has(driveSlug(item.file.id))) return true;
      report.errors.push({
        fileId: item.file.id,
        name: item.file.name,
        message: `the index already holds an article "${driveSlug(item.file.id)}" that did not come from Drive; it was left alone`,
      });
      return false;
    });
    // Embedded before the transaction: PGlite has one connection, which a transaction holds.
    const prepared = await options.ingester.prepare(
      pool,
      writable.map((item) => item.raw),
    );
    const state: DriveSyncState = { folderId: settings.folderId, folders: [...folders].sort() };
    const client_ = await pool.connect();
    try {
      await client_.query('BEGIN');
      const ingested = await options.ingester.writePrepared(client_, prepared);
      for (const { file, version } of writable) {
        await client_.query(
          `INSERT INTO knowledge_source_articles (source_id, external_id, article_slug, external_updated_at, external_version)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (source_id, external_id) DO UPDATE
             SET external_updated_at = EXCLUDED.external_updated_at, external_version = EXCLUDED.external_version,
                 synced_at = now()`,
          [id, file.id, driveSlug(file.id), file.modifiedTime, version],
        );
      }
      const removed = await removeHeld(
        client_,
        [...removals].filter((fileId) => held.has(fileId)),
      );
      await client_.query(
        'UPDATE knowledge_sources SET cursor_token = $2, sync_state = $3, updated_at = now() WHERE id = $1',
        [id, nextToken, JSON.stringify(state)],
      );
      await client_.query('COMMIT');
      report.created.push(...ingested.created);
      report.updated.push(...ingested.updated);
      report.unchanged += ingested.unchanged.length;
      report.deleted.push(...removed);
      report.chunksEmbedded = prepared.embeddedCount;
      report.pageToken = nextToken;
      report.complete = true;
    } catch (error) {
      await client_.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client_.release();
    }
    await finish('ok', null);
    return report;
  } catch (error) {
    await finish('failed', (error as Error).message).catch((recordError: unknown) => {
      logger.error({ err: recordError }, 'recording the failed Google Drive sync failed');
    });
    throw error;
  }

  /** The folder and its subfolders, breadth first, every page of each. */
  async function listTree(): Promise<{ files: Map<string, DriveFile>; folders: Set<string> }> {
    const root = await withRetries(() => client.getFile(settings.folderId, signal));
    if (root.mimeType !== driveFolderMimeType)
      throw new ConnectorError('invalid_input', `the Drive item ${settings.folderId} is not a folder`, {
        retryable: false,
      });
    if (root.trashed)
      throw new ConnectorError('invalid_input', `the Drive folder ${settings.folderId} is in the trash`, {
        retryable: false,
      });
    const files = new Map<string, DriveFile>();
    const folders = new Set([settings.folderId]);
    const queue = [settings.folderId];
    while (queue.length > 0) {
      const folderId = queue.shift()!;
      let pageToken: string | undefined;
      do {
        signal?.throwIfAborted();
        const page = await withRetries(() => client.listChildren(folderId, pageToken, pageSize, signal));
        for (const file of page.files) {
          if (file.mimeType === driveFolderMimeType) {
            if (!folders.has(file.id)) {
              folders.add(file.id);
              queue.push(file.id);
            }
          } else files.set(file.id, file);
        }
        report.seen += page.files.length;
        if (files.size > maxFiles)
          throw new ConnectorError(
            'invalid_input',
            `the Drive folder holds more than ${maxFiles} files; sync a smaller folder`,
            { retryable: false },
          );
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return { files, folders };
  }

  /** The changes feed from `token` to its end; a refused token or a moved subfolder asks for a full sync. */
  async function readChanges(
    token: string,
    folders: Set<string>,
  ): Promise<
    { files: Map<string, DriveFile>; leaving: Set<string>; token: string } | { fullReason: string }
  > {
    const files = new Map<string, DriveFile>();
    const leaving = new Set<string>();
    let pageToken = token;
    for (;;) {
      signal?.throwIfAborted();
      let page: Awaited<ReturnType<DriveClient['listChanges']>>;
      try {
        page = await withRetries(() => client.listChanges(pageToken, pageSize, signal));
      } catch (error) {
        // Drive refuses a page token it no longer knows (400 invalid pageToken; 410 Gone): start over.
        if (error instanceof DriveError && (error.status === 400 || error.status === 410))
          return {
            fullReason: `Drive refused the stored page token (${error.status} ${error.reason ?? ''})`.trim(),
          };
        throw error;
      }
      for (const change of page.changes) {
        report.seen += 1;
        const fileId = change.file?.id ?? change.fileId;
        if (!fileId) continue;
        const file = change.removed ? undefined : change.file;
        const inTree = Boolean(file && !file.trashed && file.parents.some((parent) => folders.has(parent)));
        if (file?.mimeType === driveFolderMimeType || (!file && folders.has(fileId))) {
          // Subfolders carry their files in and out without a change for each: list the tree again.
          if (folders.has(fileId) !== inTree && fileId !== settings.folderId)
            return { fullReason: 'a subfolder moved into or out of the folder, or was trashed' };
          if (fileId === settings.folderId && (!file || file.trashed))
            return { fullReason: 'the synced folder itself was trashed or deleted' };
          continue;
        }
        if (inTree && file) {
          files.set(fileId, file);
          leaving.delete(fileId);
        } else {
          files.delete(fileId);
          leaving.add(fileId);
        }
      }
      if (files.size > maxFiles)
        throw new ConnectorError(
          'invalid_input',
          `more than ${maxFiles} files changed; sync a smaller folder`,
          {
            retryable: false,
          },
        );
      if (page.newStartPageToken) return { files, leaving, token: page.newStartPageToken };
      if (!page.nextPageToken)
        throw new ConnectorError(
          'permanent',
          'Google Drive changes.list answered neither nextPageToken nor newStartPageToken',
        );
      pageToken = page.nextPageToken;
    }
  }

  /** Reads one file into a document, or says why it is not indexed (skip) or could not be (error). */
  async function readFile(
    file: DriveFile,
    reader: Exclude<Reader, { kind: 'skip' }>,
    visibility: Visibility,
  ): Promise<
    { raw: RawDocument } | { skip: string; error?: undefined } | { error: string; skip?: undefined }
  > {
    const source = `drive file "${file.name}" (${file.id})`;
    let content: string | Buffer;
    let format: SourceFormat;
    try {
      if (reader.kind === 'pdf') {
        if (file.size !== undefined && Number(file.size) > maxPdfBytes)
          return { skip: `PDF of ${file.size} bytes is over the ${maxPdfBytes}-byte limit` };
        const bytes = await withRetries(() => client.download(file.id, signal));
        const text = await pdfText(bytes);
        if ('skip' in text) return text;
        content = text.text;
        format = 'text';
      } else {
        if (reader.kind === 'download' && file.size !== undefined && Number(file.size) > maxTextBytes)
          return { skip: `file of ${file.size} bytes is over the ${maxTextBytes}-byte limit` };
        content =
          reader.kind === 'export'
            ? await withRetries(() => client.exportDoc(file.id, reader.mimeType, signal))
            : await withRetries(() => client.download(file.id, signal));
        format = reader.format;
      }
    } catch (error) {
      if (error instanceof DriveError && error.reason === 'exportSizeLimitExceeded')
        return { skip: 'the Doc is too large for Drive to export (over 10 MB)' };
      // Gone between listing and reading, or no longer readable: leaves the index.
      if (error instanceof DriveError && (error.kind === 'not_found' || error.kind === 'forbidden'))
        return { error: `${source}: ${error.message}` };
      throw error;
    }
    const metadata = {
      slug: driveSlug(file.id),
      url: file.webViewLink ?? null,
      updated_at: file.modifiedTime,
    };
    const build = (extra: { title?: string; visibility?: Visibility }): RawDocument => ({
      source,
      content,
      format,
      metadata: { ...metadata, ...extra },
    });
    try {
      // Docs and PDFs are named by the file; Markdown keeps its front matter or `# heading` title.
      const named: { title?: string } =
        reader.kind === 'download' && format === 'markdown' ? {} : { title: titleOf(file.name) };
      let parsed: ReturnType<typeof parseDocument>;
      try {
        parsed = parseDocument(build(named), { maxBytes: maxTextBytes, defaultVisibility: visibility });
      } catch (error) {
        if (
          !(
            error instanceof DocumentError &&
            error.code === 'invalid_metadata' &&
            /has no title/.test(error.message)
          )
        )
          throw error;
        parsed = parseDocument(build({ title: titleOf(file.name) }), {
          maxBytes: maxTextBytes,
          defaultVisibility: visibility,
        });
        named.title = titleOf(file.name);
      }
      // Drive's sharing is the ceiling: front matter may narrow public to internal, never widen.
      const final: Visibility =
        visibility === 'public' && parsed.visibility === 'public' ? 'public' : 'internal';
      return { raw: build({ ...named, visibility: final }) };
    } catch (error) {
      if (error instanceof DocumentError) return { error: error.message };
      throw error;
    }
  }

  /** A PDF's text through unpdf, within the page limit; a PDF without text is skipped with the reason. */
  async function pdfText(bytes: Buffer): Promise<{ text: string } | { skip: string }> {
    if (bytes.byteLength > maxPdfBytes)
      return { skip: `PDF of ${bytes.byteLength} bytes is over the ${maxPdfBytes}-byte limit` };
    let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
    try {
      pdf = await getDocumentProxy(new Uint8Array(bytes));
    } catch (error) {
      return { skip: `unreadable PDF (${(error as Error).message.split('\n')[0]})` };
    }
    try {
      if (pdf.numPages > maxPdfPages)
        return { skip: `PDF has ${pdf.numPages} pages, over the ${maxPdfPages}-page limit` };
      const { text } = await extractText(pdf, { mergePages: false });
      const pages = (text as string[]).map((page) => page.trim()).filter(Boolean);
      if (pages.length === 0) return { skip: 'PDF has no text layer (a scan?); nothing to index' };
      return { text: pages.join('\n\n') };
    } catch (error) {
      return { skip: `unreadable PDF (${(error as Error).message.split('\n')[0]})` };
    } finally {
      await pdf.cleanup().catch(() => {});
    }
  }

  /** Deletes the index articles of these Drive file ids (their chunks and mapping rows go with them). */
  async function removeHeld(db: Queryable, fileIds: string[]): Promise<string[]> {
    if (fileIds.length === 0) return [];
    const { rows } = await db.query<{ slug: string }>(
      `DELETE FROM kb_articles WHERE slug IN (
         SELECT article_slug FROM knowledge_source_articles WHERE source_id = $1 AND external_id = ANY($2))
       RETURNING slug`,
      [id, fileIds],
    );
    if (rows.length > 0) await db.query('UPDATE kb_index SET updated_at = clock_timestamp() WHERE id');
    return rows.map((row) => row.slug);
  }

  async function finish(status: 'ok' | 'failed', message: string | null): Promise<void> {
    await pool.query(
      `UPDATE knowledge_sources SET running_since = NULL, last_finished_at = now(), last_status = $2,
         last_report = $3, last_error = $4, updated_at = now() WHERE id = $1`,
      [id, status, JSON.stringify(report), message],
    );
  }
}
