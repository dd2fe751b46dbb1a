import type pg from 'pg';
import type { Logger } from 'pino';
import pino from 'pino';
import { ConnectorError } from '../../../connectors/core/errors.ts';
import type { Queryable } from '../../../connectors/core/queryable.ts';
import { parseDocument, type RawDocument } from '../../documents.ts';
import { DocumentError } from '../../errors.ts';
import type { KnowledgeIngester } from '../../ingest.ts';
import type { GuideTransport } from './transport.ts';
import type { GuideArticle } from './vendor-schemas.ts';

/** The id of the Zendesk Guide source in `knowledge_sources`. */
export const zendeskGuideSourceId = 'zendesk-guide';

/** The index slug of a Zendesk article: stable across title changes, so an edit never duplicates it. */
export const guideSlug = (articleId: number): string => `zendesk-${articleId}`;

/** What one sync did. Slugs name index articles (`zendesk-<article id>`). */
export interface GuideSyncReport {
  created: string[];
  updated: string[];
  unchanged: number;
  /** Removed from the index: archived or deleted in Zendesk, unpublished (draft), or now unreadable. */
  deleted: string[];
  /** Articles seen but not indexed: drafts never indexed, other locales. */
  skipped: number;
  /** Articles that could not be indexed (each named), and a run that stopped short. */
  errors: Array<{ articleId: number | null; message: string }>;
  /** Export pages read. */
  pages: number;
  /** The `start_time` the next incremental export starts at. */
  cursor: number | null;
  /** False when the export was not read to its end (page budget); the next run goes on from `cursor`. */
  complete: boolean;
}

/** What a sync needs. */
export interface GuideSyncOptions {
  pool: pg.Pool;
  ingester: KnowledgeIngester;
  transport: GuideTransport;
  /** Only articles displayed in this locale (`en-us`) are indexed; null: every article. */
  locale?: string | null;
  signal?: AbortSignal;
  logger?: Logger;
  /** Tries per Zendesk call on 429, 5xx or no answer (default 4). */
  attempts?: number;
  /** Longest wait (Retry-After or backoff) the sync sits out before giving the run up (default 60 s). */
  maxWaitMs?: number;
  /** Export pages read at most per run (default 50, up to 50,000 changed articles). */
  maxPages?: number;
  /** A run holding the lease longer than this is presumed dead and its lease taken over (default 15 min). */
  leaseMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Another sync of the source holds the lease; nothing was done. */
export class GuideSyncBusyError extends Error {
  override name = 'GuideSyncBusyError';
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

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** An article is public only when no user segment restricts it (segments: signed-in users, staff…). */
export const isPublicArticle = (article: GuideArticle): boolean =>
  article.user_segment_id == null && (article.user_segment_ids ?? []).length === 0;

/**
 * Syncs the Zendesk Guide help center into the knowledge index.
 *
 * 1. **Changes** — the incremental article export from the stored cursor (`start_time`; 0 on the
 *    first sync, so it takes everything), page by page. Each page is stored in one transaction with
 *    the cursor moved to the page's `end_time`: published articles are upserted through the ingester
 *    (HTML body → Markdown; title, `html_url`, section name as category, labels as tags), drafts and
 *    other locales are removed if held and skipped otherwise. A run that dies midway resumes at the last
 *    stored page; the articles at the page boundary come again and are found unchanged.
 * 2. **Deletions** — Zendesk reports no archived or deleted articles in the export (an archived
 *    article simply stops being listed), so every run lists all article ids (List Articles, cursor
 *    pagination) and removes the held articles that are no longer listed, or listed as drafts. Only a
 *    list read to its end is used: a partial one never deletes anything.
 *
 * 429 and 5xx answers are retried (`attempts`), waiting Retry-After when given, up to `maxWaitMs`.
 * One run at a time per source (a lease in `knowledge_sources`); the outcome is recorded there.
 */
export async function syncZendeskGuide(options: GuideSyncOptions): Promise<GuideSyncReport> {
  const { pool, transport, signal } = options;
  const logger = options.logger ?? pino({ enabled: false });
  const attempts = options.attempts ?? 4;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const maxPages = options.maxPages ?? 50;
  const sleep = options.sleep ?? abortableSleep;
  const locale = options.locale?.toLowerCase() ?? null;
  const id = zendeskGuideSourceId;

  await pool.query('INSERT INTO knowledge_sources (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [id]);
  const lease = await pool.query<{ cursor_start_time: string | null }>(
    `UPDATE knowledge_sources SET running_since = now(), last_started_at = now(), updated_at = now()
     WHERE id = $1 AND (running_since IS NULL OR running_since < now() - make_interval(secs => $2))
     RETURNING cursor_start_time`,
    [id, (options.leaseMs ?? 15 * 60_000) / 1000],
  );
  if (lease.rows.length === 0)
    throw new GuideSyncBusyError('a sync of the Zendesk Guide source is already running');

  const stored = lease.rows[0]!.cursor_start_time;
  const report: GuideSyncReport = {
    created: [],
    updated: [],
    unchanged: 0,
    deleted: [],
    skipped: 0,
    errors: [],
    pages: 0,
    cursor: stored === null ? null : Number(stored),
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
          error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 500 * 2 ** (attempt - 1);
        if (waitMs > maxWaitMs) {
          throw new ConnectorError(
            error.kind,
            `${error.message} (Zendesk asked to wait ${Math.ceil(waitMs / 1000)} s, longer than the ${Math.ceil(maxWaitMs / 1000)} s a sync waits; the next run continues from the stored cursor)`,
            error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {},
          );
        }
        logger.warn({ err: error, attempt, waitMs }, 'Zendesk Guide call failed; retrying');
        await sleep(waitMs, signal);
      }
    }
  }

  // An article at a page boundary comes twice: counted once.
  const unchanged = new Set<string>();
  const skipped = new Set<number>();
  let sections: Map<number, string> | null = null;
  const sectionName = async (sectionId: number | null | undefined) => {
    if (sectionId == null) return null;
    sections ??= await withRetries(() => transport.listSections(signal));
    return sections.get(sectionId) ?? null;
  };

  try {
    let start = report.cursor ?? 0;
    for (let page = 0; page < maxPages; page++) {
      signal?.throwIfAborted();
      const exported = await withRetries(() => transport.incrementalArticles(start, signal));
      report.pages += 1;
      const latest = exported.articles.reduce(
        (max, article) => Math.max(max, epochSeconds(article.updated_at)),
        start,
      );
      const end = Math.max(start, exported.end_time ?? latest);
      await storePage(exported.articles, end);
      report.cursor = end;
      const drained = !exported.next_page || exported.articles.length === 0;
      if (drained) {
        report.complete = true;
        break;
      }
      if (end <= start) {
        report.errors.push({
          articleId: null,
          message: `the export did not move past start_time ${start} (a full page of articles changed within one second); the next run tries again`,
        });
        break;
      }
      start = end;
    }
    if (!report.complete && report.errors.length === 0) {
      report.errors.push({
        articleId: null,
        message: `read the ${maxPages}-page budget of this run; the next run continues from start_time ${report.cursor}`,
      });
    }
    await removeUnlisted();
    await finish('ok', null);
    return report;
  } catch (error) {
    await finish('failed', (error as Error).message).catch((recordError: unknown) => {
      logger.error({ err: recordError }, 'recording the failed Zendesk Guide sync failed');
    });
    throw error;
  }

  /** Stores one export page and moves the cursor to `end`, all in one transaction. */
  async function storePage(articles: GuideArticle[], end: number): Promise<void> {
    // The newest version of an article wins if a page holds it twice.
    const byId = new Map<number, GuideArticle>();
    for (const article of articles) byId.set(article.id, article);
    const toIndex: Array<{ article: GuideArticle; raw: RawDocument }> = [];
    const notIndexed: number[] = [];
    const unreadable: number[] = [];
    const errors: GuideSyncReport['errors'] = [];
    for (const article of byId.values()) {
      if (article.draft || (locale !== null && article.locale.toLowerCase() !== locale)) {
        notIndexed.push(article.id);
        continue;
      }
      const raw: RawDocument = {
        source: `zendesk article ${article.id}`,
        content: article.body ?? '',
        format: 'html',
        metadata: {
          slug: guideSlug(article.id),
          title: article.title,
          url: article.html_url ?? null,
          visibility: isPublicArticle(article) ? 'public' : 'internal',
          tags: article.label_names,
          category: await sectionName(article.section_id),
          updated_at: article.updated_at,
        },
      };
      try {
        parseDocument(raw);
        toIndex.push({ article, raw });
      } catch (error) {
        if (!(error instanceof DocumentError)) throw error;
        errors.push({ articleId: article.id, message: error.message });
        // The index must not keep serving a version Zendesk no longer has.
        unreadable.push(article.id);
      }
    }

    // A slug held by an article of another origin (a folder ingest) is never overwritten.
    const { rows: foreign } = await pool.query<{ slug: string }>(
      `SELECT a.slug FROM kb_articles a
         WHERE a.slug = ANY($1) AND NOT EXISTS (
           SELECT 1 FROM knowledge_source_articles m WHERE m.article_slug = a.slug AND m.source_id = $2)`,
      [toIndex.map((item) => guideSlug(item.article.id)), id],
    );
    const taken = new Set(foreign.map((row) => row.slug));
    const writable = toIndex.filter((item) => {
      const slug = guideSlug(item.article.id);
      if (!taken.has(slug)) return true;
      errors.push({
        articleId: item.article.id,
        message: `the index already holds an article "${slug}" that did not come from Zendesk; it was left alone`,
      });
      return false;
    });
    // Embedded before the transaction: PGlite has one connection, which a transaction holds.
    const prepared = await options.ingester.prepare(
      pool,
      writable.map((item) => item.raw),
    );

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const ingested = await options.ingester.writePrepared(client, prepared);
      for (const { article } of writable) {
        await client.query(
          `INSERT INTO knowledge_source_articles (source_id, external_id, article_slug, external_updated_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (source_id, external_id) DO UPDATE
             SET external_updated_at = EXCLUDED.external_updated_at, synced_at = now()`,
          [id, String(article.id), guideSlug(article.id), article.updated_at],
        );
      }
      const removed = await removeHeld(
        client,
        [...notIndexed, ...unreadable].map((articleId) => String(articleId)),
      );
      await client.query(
        'UPDATE knowledge_sources SET cursor_start_time = $2, updated_at = now() WHERE id = $1',
        [id, end],
      );
      await client.query('COMMIT');
      // Counted once the page is stored: a rolled-back page reports nothing.
      report.created.push(...ingested.created);
      report.updated.push(...ingested.updated);
      for (const slug of ingested.unchanged) unchanged.add(slug);
      report.deleted.push(...removed);
      report.errors.push(...errors);
      for (const articleId of notIndexed) {
        if (!removed.includes(guideSlug(articleId))) skipped.add(articleId);
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** Removes the held articles Zendesk no longer lists (archived, deleted) or lists as drafts. */
  async function removeUnlisted(): Promise<void> {
    const listed = await withRetries(() => transport.listArticleIds(signal));
    const { rows: held } = await pool.query<{ external_id: string }>(
      'SELECT external_id FROM knowledge_source_articles WHERE source_id = $1',
      [id],
    );
    const gone = held
      .map((row) => row.external_id)
      .filter((externalId) => {
        const entry = listed.get(Number(externalId));
        return !entry || entry.draft || (locale !== null && entry.locale.toLowerCase() !== locale);
      });
    if (gone.length === 0) return;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const removed = await removeHeld(client, gone);
      await client.query('COMMIT');
      report.deleted.push(...removed);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** Deletes the index articles of these Zendesk ids (their chunks and mapping rows go with them). */
  async function removeHeld(db: Queryable, externalIds: string[]): Promise<string[]> {
    if (externalIds.length === 0) return [];
    const { rows } = await db.query<{ slug: string }>(
      `DELETE FROM kb_articles WHERE slug IN (
         SELECT article_slug FROM knowledge_source_articles WHERE source_id = $1 AND external_id = ANY($2))
       RETURNING slug`,
      [id, externalIds],
    );
    if (rows.length > 0) {
      // Searches compare this version to know their vocabulary cache is stale.
      await db.query('UPDATE kb_index SET updated_at = clock_timestamp() WHERE id');
    }
    return rows.map((row) => row.slug);
  }

  async function finish(status: 'ok' | 'failed', message: string | null): Promise<void> {
    const changed = new Set([...report.created, ...report.updated]);
    report.unchanged = [...unchanged].filter((slug) => !changed.has(slug)).length;
    report.skipped = skipped.size;
    await pool.query(
      `UPDATE knowledge_sources SET running_since = NULL, last_finished_at = now(), last_status = $2,
         last_report = $3, last_error = $4, updated_at = now() WHERE id = $1`,
      [id, status, JSON.stringify(report), message],
    );
  }
}
