import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDatabase } from '../test/support/database.ts';
import { type Database, withTransaction } from './database.ts';

// Found by `npm run chaos` (docs/reliability.md): a worker crashed with "Connection terminated
// unexpectedly" emitted on a checked-out client, which pg's pool listens to only while it is idle.
describe('a PostgreSQL connection terminated while checked out', () => {
  let database: Database & { url: string };

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('fails the transaction for its caller, never the process, and the pool goes on', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const transaction = withTransaction(database.pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await database.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        // Idle inside the transaction while the loss arrives, as between a turn's statements.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await client.query('SELECT 1');
      });
      await expect(transaction).rejects.toThrow();
      expect(uncaught).toEqual([]);
      // The broken client was discarded, not pooled: every connection answers.
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => database.pool.query<{ n: number }>('SELECT 1 AS n')),
      );
      expect(answers.map((answer) => answer.rows[0]!.n)).toEqual([1, 1, 1, 1, 1]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  }, 30_000);
});
