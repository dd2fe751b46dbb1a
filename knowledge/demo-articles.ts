import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { readFolder } from './cli.ts';
import type { RawDocument } from './documents.ts';
import type { Embedder } from './embedder.ts';
import { createIngester, type IngestReport, type KnowledgeIngester, type PreparedIngest } from './ingest.ts';

/** The demo help center shipped with the project. */
export const demoArticlesFolder = fileURLToPath(new URL('./articles/', import.meta.url));

/** Options of `ingestInGroups`. */
export interface GroupIngestOptions {
  /** Articles per transaction (default 8): searches see the index grow group by group. */
  groupSize?: number;
  /** Called after each group is committed (progress, benchmarks). */
  onGroup?: (report: IngestReport) => void;
}

/**
 * Ingests documents a few at a time, each group in its own transaction, and embeds the next group
 * while the current one is written: with a worker-thread embedder (knowledge/worker-embedder.ts) the
 * model keeps its core busy while this thread writes, and the event loop is never held for more than
 * one group's parsing or insert. Unchanged articles embed nothing. Groups plan against the index as it
 * is before the previous group's commit, so a chunk shared by two groups may be embedded twice (rare:
 * keys include the article title); nothing else differs from one `ingest` call, but a bad document
 * fails only its group and the groups before it stay written.
 */
export async function ingestInGroups(
  pool: pg.Pool,
  ingester: KnowledgeIngester,
  documents: RawDocument[],
  options: GroupIngestOptions = {},
): Promise<IngestReport> {
  const groupSize = options.groupSize ?? 8;
  const groups: RawDocument[][] = [];
  for (let start = 0; start < documents.length; start += groupSize)
    groups.push(documents.slice(start, start + groupSize));
  const total: IngestReport = {
    created: [],
    updated: [],
    unchanged: [],
    deleted: [],
    chunksWritten: 0,
    chunksEmbedded: 0,
    chunksReused: 0,
  };
  let next: Promise<PreparedIngest> | null = groups[0] ? ingester.prepare(pool, groups[0]) : null;
  for (let index = 0; next; index += 1) {
    const prepared = await next;
    // Started before this group's write: its reads take PGlite's one connection first, then the
    // embedding runs (off this thread) while the write below holds the connection.
    next = groups[index + 1] ? ingester.prepare(pool, groups[index + 1]!) : null;
    // An error of the next group must not go unhandled while this one is written; it is thrown below.
    next?.catch(() => {});
    const report = await writeInTransaction(pool, ingester, prepared);
    total.created.push(...report.created);
    total.updated.push(...report.updated);
    total.unchanged.push(...report.unchanged);
    total.chunksWritten += report.chunksWritten;
    total.chunksEmbedded += report.chunksEmbedded;
    total.chunksReused += report.chunksReused;
    options.onGroup?.(report);
    // PGlite answers from this thread and the in-thread model resolves in microtasks: without a
    // macrotask turn between groups, timers and sockets would wait for the whole ingestion.
    await yieldToEventLoop();
  }
  return total;
}

async function writeInTransaction(
  pool: pg.Pool,
  ingester: KnowledgeIngester,
  prepared: PreparedIngest,
): Promise<IngestReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const report = await ingester.writePrepared(client, prepared);
    await client.query('COMMIT');
    return report;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Indexes the demo help-center articles (knowledge/articles). Unchanged articles embed nothing, so
 * running it at every start costs a few queries once the index is built. Pass the worker-thread
 * embedder (`sharedWorkerEmbedder()`) where requests are served meanwhile: the model then never runs
 * on the server's thread.
 *
 * `textFirst` (default on): new articles are first written without vectors, in one transaction that
 * takes about a second, so a first start answers help-center questions from full text (hybrid search finds no vector and
 * fuses the full-text hits alone) while the embedding takes its tens of seconds; each group then
 * replaces its articles with embedded ones. Meanwhile unanswerable questions are more often answered
 * (measured in docs/knowledge.md, "Ingestion").
 */
export async function indexDemoArticles(
  pool: pg.Pool,
  embedder: Embedder,
  options: GroupIngestOptions & { textFirst?: boolean } = {},
): Promise<IngestReport> {
  const { documents } = await readFolder(demoArticlesFolder);
  const ingester = createIngester({ embedder });
  if (options.textFirst ?? true) await writeTextFirst(pool, ingester, documents);
  return ingestInGroups(pool, ingester, documents, options);
}

/**
 * The text-first half of `indexDemoArticles` alone (~0.5 s): a first start runs it before it listens,
 * so the help center is searchable from the first request. Embeds nothing; returns the articles written.
 */
export async function writeDemoArticlesTextFirst(pool: pg.Pool, embedder: Embedder): Promise<number> {
  const { documents } = await readFolder(demoArticlesFolder);
  return writeTextFirst(pool, createIngester({ embedder }), documents);
}

async function writeTextFirst(
  pool: pg.Pool,
  ingester: KnowledgeIngester,
  documents: RawDocument[],
): Promise<number> {
  const textOnly = await ingester.prepare(pool, documents, { embed: false });
  const fresh = textOnly.planned.filter((article) => !article.exists).length;
  if (fresh > 0) await writeInTransaction(pool, ingester, textOnly);
  return fresh;
}
