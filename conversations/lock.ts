import type pg from 'pg';

/** Runs work for one conversation at a time, across every process that shares the lock. */
export interface ConversationLock {
  run<T>(conversationId: string, work: () => Promise<T>): Promise<T>;
}

/** One process (the embedded default): a promise chain per conversation. */
export function createInProcessConversationLock(): ConversationLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(conversationId, work) {
      const previous = tails.get(conversationId) ?? Promise.resolve();
      const mine = previous.catch(() => {}).then(work);
      const tail = mine.catch(() => {});
      tails.set(conversationId, tail);
      try {
        return await mine;
      } finally {
        if (tails.get(conversationId) === tail) tails.delete(conversationId);
      }
    },
  };
}

/**
 * Several workers on PostgreSQL: a session-level advisory lock on a connection held for the work.
 * A worker that dies (even SIGKILL) drops its connection, and PostgreSQL releases the lock at once,
 * so another worker can take the conversation over.
 */
export function createAdvisoryConversationLock(
  pool: pg.Pool,
  options: { waitMs?: number; pollMs?: number } = {},
): ConversationLock {
  const waitMs = options.waitMs ?? 120_000;
  const pollMs = options.pollMs ?? 50;
  const local = createInProcessConversationLock();
  return {
    // Work of this process for one conversation queues locally first, so it never waits on itself.
    run: (conversationId, work) =>
      local.run(conversationId, async () => {
        const client = await pool.connect();
        let locked = false;
        // The client sits checked out for the whole turn. If PostgreSQL terminates it, the pool's
        // clients listen for that (db/database.ts): the lock is gone with the session, the turn
        // finishes (its writes and replies are idempotent) and the broken client is destroyed below,
        // since unlocking on it fails.
        try {
          const deadline = Date.now() + waitMs;
          for (;;) {
            const { rows } = await client.query<{ locked: boolean }>(
              `SELECT pg_try_advisory_lock(hashtext('switchboard.conversation'), hashtext($1)) AS locked`,
              [conversationId],
            );
            locked = rows[0]!.locked;
            if (locked) break;
            if (Date.now() > deadline)
              throw new Error(
                `conversation ${conversationId} is busy on another worker (waited ${waitMs} ms)`,
              );
            await new Promise((resolve) => setTimeout(resolve, pollMs));
          }
          return await work();
        } finally {
          let unlocked = !locked;
          if (locked) {
            unlocked = await client
              .query(`SELECT pg_advisory_unlock(hashtext('switchboard.conversation'), hashtext($1))`, [
                conversationId,
              ])
              .then(() => true)
              .catch(() => false);
          }
          // A connection that may still hold the lock is destroyed, never handed back to the pool.
          client.release(!unlocked);
        }
      }),
  };
}
