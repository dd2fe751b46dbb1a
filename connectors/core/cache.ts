import { hashArgs } from './canonical.ts';
import type { CallerSession } from './definition.ts';
import type { Queryable } from './queryable.ts';

/** The last good (redacted) result of cacheable reads, for stale fallback (table `connector_cache`). */
export interface ReadCache {
  /**
   * Records a good result without delaying the call; an unchanged value is rewritten at most every
   * `refreshMs`. `accountId` is the account the read was for (so `invalidateAccountReads` finds it).
   */
  put(key: string, connectorId: string, operation: string, value: unknown, accountId?: string | null): void;
  get(key: string): Promise<{ value: unknown; ageSeconds: number } | null>;
  /** Waits for the stores still in flight. */
  flush(): Promise<void>;
}

/** Cache key of a read: connector, operation and a hash of the bound input and the caller's identity. */
export function readCacheKey(
  connectorId: string,
  operation: string,
  input: unknown,
  session: CallerSession,
): string {
  const who = session.customer
    ? `${session.customer.accountId}/${session.customer.contactId}`
    : `${session.actor}`;
  return `${connectorId}.${operation}:${hashArgs({ input, who })}`;
}

/**
 * Creates the cache; ages are measured with `now` (the clock connectors see). A value identical to
 * the one stored less than `refreshMs` ago is not rewritten, so a hot read costs no extra write
 * (its reported age can then be up to `refreshMs` too old, never too young).
 */
export function createReadCache(
  db: Queryable,
  now: () => Date,
  options: { refreshMs?: number; onError?: (error: unknown) => void } = {},
): ReadCache {
  const refreshMs = options.refreshMs ?? 30_000;
  const lastStored = new Map<string, { hash: string; at: number }>();
  const pending = new Set<Promise<void>>();

  return {
    put(key, connectorId, operation, value, accountId = null) {
      const hash = hashArgs(value ?? null);
      const at = now().getTime();
      const previous = lastStored.get(key);
      if (previous && previous.hash === hash && at - previous.at >= 0 && at - previous.at < refreshMs) return;
      lastStored.set(key, { hash, at });
      const store = db
        .query(
          `INSERT INTO connector_cache (cache_key, connector_id, operation, value, stored_at, account_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, stored_at = EXCLUDED.stored_at,
             account_id = EXCLUDED.account_id`,
          [key, connectorId, operation, JSON.stringify({ data: value ?? null }), new Date(at), accountId],
        )
        .then(
          () => {},
          (error) => {
            lastStored.delete(key);
            options.onError?.(error);
          },
        )
        .finally(() => pending.delete(store));
      pending.add(store);
    },
    async get(key) {
      const { rows } = await db.query<{ value: { data: unknown }; stored_at: Date }>(
        'SELECT value, stored_at FROM connector_cache WHERE cache_key = $1',
        [key],
      );
      const row = rows[0];
      if (!row) return null;
      const ageSeconds = Math.max(0, Math.round((now().getTime() - row.stored_at.getTime()) / 1000));
      return { value: row.value.data, ageSeconds };
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}

/**
 * Drops the stale-read entries of one account's reads of a connector (a billing webhook said the
 * account's billing changed), so a later outage of the system never answers with data from before
 * the change: it answers with an error until a fresh read is stored again. Entries stored before
 * reads were tagged with their account (account unknown) are dropped too. Runs on `db`, so inside
 * the caller's transaction when given its client. Returns how many entries were dropped.
 *
 * A process's `createReadCache` may skip re-storing a value identical to one it stored less than
 * `refreshMs` ago: after an invalidation that only leaves the entry missing for that long (no
 * fallback), never stale.
 */
export async function invalidateAccountReads(
  db: Queryable,
  connectorId: string,
  accountId: string,
): Promise<number> {
  const { rowCount } = await db.query(
    'DELETE FROM connector_cache WHERE connector_id = $1 AND (account_id = $2 OR account_id IS NULL)',
    [connectorId, accountId],
  );
  return rowCount ?? 0;
}

/**
 * Drops every stale-read entry of a connector: for a change whose account is unknown (a billing
 * webhook whose Stripe customer maps to none of ours may still be what some session's reads bound to).
 */
export async function invalidateConnectorReads(db: Queryable, connectorId: string): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM connector_cache WHERE connector_id = $1', [connectorId]);
  return rowCount ?? 0;
}
