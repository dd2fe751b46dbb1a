import { type DatabaseOptions, openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { formatIngestReport, ingestCommand } from '../../knowledge/cli.ts';
import { createEmbedder, type EmbedderSettings } from '../../knowledge/create-embedder.ts';
import type { Visibility } from '../../knowledge/documents.ts';

/** What `npm run kb:ingest -- <folder>` needs; the entry point builds it from config/. */
export interface KbIngestOptions {
  database: DatabaseOptions;
  embedder: EmbedderSettings;
  folder: string;
  prune?: boolean;
  defaultVisibility?: Visibility;
  log?: (line: string) => void;
}

/** Ingests a folder of Markdown/HTML/text articles into the knowledge base. */
export async function main(options: KbIngestOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const database = await openDatabase(options.database);
  try {
    await migrateToLatest(database.pool);
    const report = await ingestCommand({
      db: database,
      embedder: createEmbedder(options.embedder),
      folder: options.folder,
      prune: options.prune ?? false,
      ...(options.defaultVisibility ? { defaultVisibility: options.defaultVisibility } : {}),
    });
    log(formatIngestReport(report));
  } finally {
    await database.close();
  }
}
