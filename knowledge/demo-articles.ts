import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { readFolder } from './cli.ts';
import type { Embedder } from './embedder.ts';
import { createIngester, type IngestReport } from './ingest.ts';

/** The demo help center shipped with the project. */
export const demoArticlesFolder = fileURLToPath(new URL('./articles/', import.meta.url));

/**
 * Indexes the demo help-center articles (knowledge/articles). Unchanged articles embed nothing, so
 * running it at every start costs a few queries once the index is built.
 */
export async function indexDemoArticles(pool: pg.Pool, embedder: Embedder): Promise<IngestReport> {
  const { documents } = await readFolder(demoArticlesFolder);
  return createIngester({ embedder }).ingest(pool, documents);
}
