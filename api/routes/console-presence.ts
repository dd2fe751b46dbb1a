import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import { presenceHeartbeatMs } from './console-inbox-queries.ts';

/**
 * Who is online in the console: each open console event stream (`GET /api/console/events`) keeps a
 * `staff_presence` row (migration 0030) fresh while it is open and deletes it when it closes. A
 * process that dies leaves a row nobody refreshes, which stops counting once it is older than the
 * online window (console-inbox-queries.ts), so several API servers and crashes both come out right.
 * Returns the function that ends the presence (call it when the stream closes).
 */
export async function trackPresence(
  pool: pg.Pool,
  humanId: string,
  log: FastifyBaseLogger,
): Promise<() => void> {
  const connectionId = randomUUID();
  const warn = (error: unknown) => log.warn({ err: error, humanId }, 'console presence not recorded');
  await pool
    .query('INSERT INTO staff_presence (connection_id, human_id) VALUES ($1, $2)', [connectionId, humanId])
    .catch(warn);
  const timer = setInterval(() => {
    pool
      .query('UPDATE staff_presence SET seen_at = now() WHERE connection_id = $1', [connectionId])
      .catch(warn);
  }, presenceHeartbeatMs);
  timer.unref();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    pool.query('DELETE FROM staff_presence WHERE connection_id = $1', [connectionId]).catch(warn);
  };
}
