import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { vector } from '@electric-sql/pglite-pgvector';
import pg from 'pg';
import pgvector from 'pgvector/pg';

/** Where the database lives: a PostgreSQL URL, or an embedded PGlite data directory. */
export type DatabaseOptions =
  | { url: string; maxConnections?: number; connectTimeoutMs?: number }
  | { dataDir: string } // 'memory://' for a throw-away in-memory database
  | { pglite: PGlite };

/** A `pg` Pool plus how to close it; the same API whether PGlite or PostgreSQL sits underneath. */
export interface Database {
  readonly pool: pg.Pool;
  readonly kind: 'postgres' | 'pglite';
  /** The embedded engine, when there is one (for `clone()` in tests and the eval runner). */
  readonly pglite?: PGlite;
  close(): Promise<void>;
}

/** Anything that can run a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** The connection could not be made; the message is one line fit for a startup error. */
export class DatabaseConnectionError extends Error {
  override name = 'DatabaseConnectionError';
}

/**
 * Opens the database. PGlite is a single session: its pool has exactly one connection, so a
 * transaction holds the whole database — never call `pool.query` while holding a client.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ('url' in options)
    return openPostgres(options.url, options.maxConnections ?? 10, options.connectTimeoutMs);
  const pglite = 'pglite' in options ? options.pglite : await createPglite(options.dataDir);
  await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
  const pool = new pg.Pool({
    ...createPgConfig(pglite),
    max: 1,
    onConnect: (client) => pgvector.registerTypes(client),
  });
  return {
    pool,
    kind: 'pglite',
    pglite,
    async close() {
      await pool.end();
      if (!('pglite' in options)) await pglite.close();
    },
  };
}

async function createPglite(dataDir: string): Promise<PGlite> {
  if (!dataDir.startsWith('memory://')) await mkdir(path.resolve(dataDir), { recursive: true });
  const location = dataDir.startsWith('memory://') ? dataDir : path.resolve(dataDir, 'pglite');
  return PGlite.create({ dataDir: location, extensions: { vector } });
}

async function openPostgres(url: string, max: number, connectTimeoutMs = 5000): Promise<Database> {
  await ensureVectorExtension(url, connectTimeoutMs);
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeoutMs,
    onConnect: (client) => {
      // A connection PostgreSQL terminates (a restart, pg_terminate_backend, a proxy) makes pg emit
      // 'error' on its client. The pool listens only while the client is idle; a checked-out one (a
      // transaction, the conversation lock) had no listener, and the process crashed mid-turn (found
      // by `npm run chaos`, docs/reliability.md). Listening for the client's whole life changes
      // nothing else: the query in flight still fails for its caller, and the pool discards the
      // client when it is released (pg marks it not queryable).
      client.on('error', () => {});
      return pgvector.registerTypes(client);
    },
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on the next checkout.
  });
  return { pool, kind: 'postgres', close: () => pool.end() };
}

/** Connects once (failing fast with one clear line) and makes sure pgvector is there before types are registered. */
async function ensureVectorExtension(url: string, connectTimeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    const reason = (error as Error).message || (error as NodeJS.ErrnoException).code;
    throw new DatabaseConnectionError(
      `Cannot connect to PostgreSQL at ${describeUrl(url)}: ${reason}. Check DATABASE_URL, or unset it to use the embedded database.`,
    );
  }
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (error) {
    throw new DatabaseConnectionError(
      `PostgreSQL at ${describeUrl(url)} has no pgvector extension (${(error as Error).message}). Install pgvector (scripts/install-pgvector.sh) or use the pgvector/pgvector image.`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** Connection-level failures by SQLSTATE (class 08, the admin-shutdown family 57P0x) and socket code. */
const connectionLossCodes = /^(08|57P0[1-3]$|ECONNRESET$|ECONNREFUSED$|EPIPE$|ETIMEDOUT$)/;

/**
 * Whether an error (or its cause) is the database connection lost or refused — PostgreSQL
 * restarting, a backend terminated, a dropped socket — rather than a statement refused. Work that
 * failed so is worth running again as it was; a refused statement is not.
 */
export function isConnectionLoss(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && connectionLossCodes.test(code)) return true;
    // pg's own wording when the socket closes under a client (it carries no code).
    if (typeof message === 'string' && /^Connection terminated( unexpectedly)?$/.test(message)) return true;
    current = cause;
  }
  return false;
}

/** Runs `work` in a transaction on one client; rolls back on any error. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
