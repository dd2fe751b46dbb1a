import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { createPostgresTestDatabase } from '../test/support/database.ts';
import { createAdvisoryConversationLock } from './lock.ts';

// Found by `npm run chaos` (docs/reliability.md): the lock's connection sits idle, checked out, for
// the whole turn. When PostgreSQL terminated it (pg_terminate_backend, a restart, a proxy dropping
// it), the client's 'error' event had no listener and the worker process crashed mid-turn.
describe('the advisory conversation lock when its connection is terminated mid-turn', () => {
  let database: Database & { url: string };

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  const lockHolders = async () =>
    (
      await database.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database =
           (SELECT oid FROM pg_database WHERE datname = current_database())`,
      )
    ).rows.map((row) => row.pid);

  it('lets the work finish without crashing the process, and the conversation can be locked again', async () => {
    const lock = createAdvisoryConversationLock(database.pool, { pollMs: 10 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const result = await lock.run('conv_terminated', async () => {
        const [holder] = await lockHolders();
        expect(holder).toBeDefined();
        await database.pool.query('SELECT pg_terminate_backend($1)', [holder]);
        // The terminated client reports the loss asynchronously; the work goes on meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 300));
        return (await database.pool.query<{ n: number }>('SELECT 41 + 1 AS n')).rows[0]!.n;
      });
      expect(result).toBe(42);
      expect(uncaught).toEqual([]);
      expect(await lockHolders()).toEqual([]);
      // The broken connection was not handed back to the pool: the next holder locks and unlocks normally.
      expect(await lock.run('conv_terminated', async () => (await lockHolders()).length)).toBe(1);
      expect(await lockHolders()).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  }, 30_000);
});
