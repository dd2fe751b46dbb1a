import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { formatOf, type ParseOptions, type RawDocument } from './documents.ts';
import type { Embedder } from './embedder.ts';
import { createIngester, type IngestReport } from './ingest.ts';
import { type ReindexReport, reindexKnowledge } from './reindex.ts';

/** The database as the commands need it (a `Database` from db/database.ts fits). */
export interface CommandDatabase {
  pool: pg.Pool;
}

/** Reads every .md/.markdown/.html/.htm/.txt file under `folder` (recursively); other files are listed as skipped. */
export async function readFolder(folder: string): Promise<{ documents: RawDocument[]; skipped: string[] }> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const documents: RawDocument[] = [];
  const skipped: string[] = [];
  for (const entry of entries.filter((item) => item.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(entry.parentPath, entry.name);
    const relative = path.relative(folder, file);
    if (entry.name.startsWith('.') || !formatOf(file)) {
      skipped.push(relative);
      continue;
    }
    documents.push({ source: relative, content: await readFile(file) });
  }
  return { documents, skipped };
}

/** Options of `ingest <folder>`. */
export interface IngestCommandOptions extends ParseOptions {
  db: CommandDatabase;
  embedder: Embedder;
  folder: string;
  /** Delete articles that are no longer in the folder. */
  prune?: boolean;
}

/**
 * `kb ingest <folder>`: ingests the folder's documents in one transaction. Unchanged articles
 * embed nothing; any bad document aborts the batch with every problem named (DocumentBatchError).
 */
export async function ingestCommand(
  options: IngestCommandOptions,
): Promise<IngestReport & { skipped: string[] }> {
  const { documents, skipped } = await readFolder(options.folder);
  const { db, embedder, folder: _folder, prune, ...parseOptions } = options;
  const report = await createIngester({ embedder, ...parseOptions }).ingest(db.pool, documents, {
    prune: prune ?? false,
  });
  return { ...report, skipped };
}

/** `kb reindex`: rebuilds every embedding and the HNSW index with the configured embedder. */
export function reindexCommand(options: { db: CommandDatabase; embedder: Embedder }): Promise<ReindexReport> {
  return reindexKnowledge({ pool: options.db.pool, embedder: options.embedder });
}

/** One line per outcome, for the terminal. */
export function formatIngestReport(report: IngestReport & { skipped?: string[] }): string {
  const lines = [
    `created ${report.created.length}, updated ${report.updated.length}, unchanged ${report.unchanged.length}, deleted ${report.deleted.length}`,
    `chunks written ${report.chunksWritten} (embedded ${report.chunksEmbedded}, reused ${report.chunksReused})`,
  ];
  if (report.skipped?.length) lines.push(`skipped (not .md/.html/.txt): ${report.skipped.join(', ')}`);
  return lines.join('\n');
}
