import { type DatabaseOptions, openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { reindexCommand } from '../../knowledge/cli.ts';
import { createEmbedder, type EmbedderSettings } from '../../knowledge/create-embedder.ts';

/** What `npm run kb:reindex` needs; the entry point builds it from config/. */
export interface KbReindexOptions {
  database: DatabaseOptions;
  embedder: EmbedderSettings;
  log?: (line: string) => void;
}

/** Rebuilds every embedding and the HNSW index with the configured embedding model. */
export async function main(options: KbReindexOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const database = await openDatabase(options.database);
  try {
    await migrateToLatest(database.pool);
    const report = await reindexCommand({ db: database, embedder: createEmbedder(options.embedder) });
    log(
      `reindexed ${report.articles} articles, ${report.chunks} chunks with ${report.model} (${report.dimensions}-d) in ${(report.milliseconds / 1000).toFixed(1)} s`,
    );
  } finally {
    await database.close();
  }
}
