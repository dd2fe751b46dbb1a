import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';

/**
 * A migrated, empty database for one test file: embedded PGlite in memory by default, or a fresh
 * PostgreSQL database (created on the server of TEST_DATABASE_URL, dropped on close) when it is set.
 */
export async function createTestDatabase(): Promise<Database> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.pool);
    return database;
  }
  return createPostgresTestDatabase(serverUrl);
}

/**
 * A fresh, migrated PostgreSQL database for tests that need several processes on one database
 * (workers): on TEST_DATABASE_URL's server, else the machine's local PostgreSQL. `url` lets child
 * processes connect.
 */
export async function createPostgresTestDatabase(
  serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
): Promise<Database & { url: string }> {
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 5 });
  await migrateToLatest(database.pool);
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

/** Which engine the integration tests run on, for test names. */
export const testDatabaseKind = (): 'postgres' | 'pglite' =>
  process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
