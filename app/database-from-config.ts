import { type Database, openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';

/** Opens the configured database (PostgreSQL when DATABASE_URL is set, else embedded PGlite) and migrates it. */
export async function openConfiguredDatabase(config: {
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
}): Promise<Database> {
  const database = config.DATABASE_URL
    ? await openDatabase({ url: config.DATABASE_URL })
    : await openDatabase({ dataDir: config.DATA_DIR });
  await migrateToLatest(database.pool);
  return database;
}
