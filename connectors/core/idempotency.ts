import { ConnectorError } from './errors.ts';
import type { Queryable } from './queryable.ts';

/** The outcome of trying to take an idempotency key before running a write. */
export type Claim =
  /** This attempt owns the key; `lease` fences later updates against a take-over. */
  | { kind: 'run'; lease: string }
  /** The key already completed with the same arguments: return the stored result. */
  | { kind: 'replay'; data: unknown };

interface KeyRow {
  args_hash: string;
  status: 'in_progress' | 'completed' | 'failed';
  result: { data: unknown } | null;
  lock_active: boolean;
}

/** How a write takes, completes and releases its idempotency key (table `idempotency_keys`). */
export interface IdempotencyStore {
  claim(
    key: string,
    connectorId: string,
    operation: string,
    argsHash: string,
    lockMs: number,
  ): Promise<Claim>;
  complete(key: string, lease: string, data: unknown): Promise<boolean>;
  release(key: string, lease: string, error: { kind: string; message: string }): Promise<void>;
}

/**
 * Creates the store. `waitMs` > 0 makes a claim on a key that another attempt holds poll until that
 * attempt finishes (then replay or take over) instead of returning a retryable `conflict` at once.
 */
export function createIdempotencyStore(
  db: Queryable,
  options: { waitMs?: number; pollMs?: number } = {},
): IdempotencyStore {
  const waitMs = options.waitMs ?? 0;
  const pollMs = options.pollMs ?? 50;

  async function tryClaim(
    key: string,
    connectorId: string,
    operation: string,
    argsHash: string,
    lockMs: number,
  ) {
    const inserted = await db.query<{ lease: string }>(
      `INSERT INTO idempotency_keys (key, connector_id, operation, args_hash, status, locked_until)
       VALUES ($1, $2, $3, $4, 'in_progress', now() + make_interval(secs => $5))
       ON CONFLICT (key) DO NOTHING
       RETURNING locked_until::text AS lease`,
      [key, connectorId, operation, argsHash, lockMs / 1000],
    );
    if (inserted.rows[0]) return { kind: 'run', lease: inserted.rows[0].lease } as const;
    const { rows } = await db.query<KeyRow>(
      `SELECT args_hash, status, result, (locked_until IS NOT NULL AND locked_until > now()) AS lock_active
       FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    const row = rows[0];
    // Deleted between the two statements (by a cleanup job): try again.
    if (!row) return { kind: 'again' } as const;
    if (row.args_hash !== argsHash) {
      throw new ConnectorError('conflict', 'this idempotency key was already used with different arguments', {
        retryable: false,
      });
    }
    if (row.status === 'completed') return { kind: 'replay', data: row.result?.data } as const;
    if (row.status === 'in_progress' && row.lock_active) return { kind: 'busy' } as const;
    // A failed attempt released the key, or a crashed one's lock expired: take it over atomically.
    const taken = await db.query<{ lease: string }>(
      `UPDATE idempotency_keys
       SET status = 'in_progress', locked_until = now() + make_interval(secs => $3), error = NULL
       WHERE key = $1 AND args_hash = $2
         AND (status = 'failed' OR (status = 'in_progress' AND locked_until <= now()))
       RETURNING locked_until::text AS lease`,
      [key, argsHash, lockMs / 1000],
    );
    return taken.rows[0]
      ? ({ kind: 'run', lease: taken.rows[0].lease } as const)
      : ({ kind: 'again' } as const);
  }

  return {
    async claim(key, connectorId, operation, argsHash, lockMs) {
      const deadline = Date.now() + waitMs;
      for (let round = 0; ; round++) {
        const outcome = await tryClaim(key, connectorId, operation, argsHash, lockMs);
        if (outcome.kind === 'run' || outcome.kind === 'replay') return outcome;
        if (outcome.kind === 'again' && round < 3) continue;
        if (Date.now() >= deadline) {
          throw new ConnectorError('conflict', 'the same write is already in progress; try again shortly', {
            retryable: true,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },

    async complete(key, lease, data) {
      const { rowCount } = await db.query(
        `UPDATE idempotency_keys SET status = 'completed', result = $3, locked_until = NULL, completed_at = now()
         WHERE key = $1 AND status = 'in_progress' AND locked_until = $2::timestamptz`,
        [key, lease, JSON.stringify({ data: data ?? null })],
      );
      return (rowCount ?? 0) > 0;
    },

    async release(key, lease, error) {
      await db.query(
        `UPDATE idempotency_keys SET status = 'failed', error = $3, locked_until = NULL
         WHERE key = $1 AND status = 'in_progress' AND locked_until = $2::timestamptz`,
        [key, lease, JSON.stringify(error)],
      );
    },
  };
}
