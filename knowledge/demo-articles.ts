import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { readFolder } from './cli.ts';
import type { Embedder } from './embedder.ts';
import { createIngester, type IngestReport } from './ingest.ts';

/** The demo help center shipped with the project. */
export const demoArticlesFolder = fileURLToPath(new URL('./articles/', import.meta.url));

/**
 * Indexes the demo help-center articles (knowledge/articles). Unchanged articles embed nothing, so
 * running it at every start costs a few queries once the index is built. Articles go one at a time,
 * yielding between them: the embedding model runs on the server's own thread, and requests must
 * still be answered while a first start indexes.
 */
export async function indexDemoArticles(pool: pg.Pool, embedder: Embedder): Promise<IngestReport> {
  const { documents } = await readFolder(demoArticlesFolder);
  const ingester = createIngester({ embedder });
  const total: IngestReport = {
    created: [],
    updated: [],
    unchanged: [],
    deleted: [],
    chunksWritten: 0,
    chunksEmbedded: 0,
    chunksReused: 0,
  };
  for (const document of documents) {
    const report = await ingester.ingest(pool, [document]);
    total.created.push(...report.created);
    total.updated.push(...report.updated);
    total.unchanged.push(...report.unchanged);
    total.chunksWritten += report.chunksWritten;
    total.chunksEmbedded += report.chunksEmbedded;
    total.chunksReused += report.chunksReused;
    await yieldToEventLoop();
  }
  return total;
}
