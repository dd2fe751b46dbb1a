import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ConnectorError } from './errors.ts';
import type { Queryable } from './queryable.ts';

/**
 * How long a write's lease on its idempotency key lasts, how often its holder renews it, and how long
 * another attempt waits for a busy key before answering `conflict`.
 *
 * The numbers fit the job system's (jobs/bullmq-workers.ts): a worker's job lock lasts 10 s and is
 * renewed every 5 s, and other workers look for stalled jobs every 5 s, so a job whose worker was
 * SIGKILLed runs again 5–15 s after the death. The dead worker's lease, renewed every 5 s for 15 s,
 * runs out 10–15 s after the death, possibly after the retried job reached the write. That write
 * waits for up to one TTL plus one heartbeat (20 s: enough even for a lease renewed just before it
 * looked), then takes the key over and runs the write once, instead of telling the customer the
 * vendor is down. Whatever the job lock's settings, waiting longer than a TTL is what guarantees a
 * dead holder's key is taken over. A live holder renews three times per TTL, so one late renewal
 * (a busy event loop, a slow commit) does not cost it the lease, and a slow vendor (40 s) keeps it
 * throughout; a duplicate that waited 20 s for a live holder gets a retryable `conflict`.
 */
export const defaultLeaseSettings = { ttlMs: 15_000, heartbeatMs: 5_000, waitMs: 20_000, pollMs: 50 };

const leaseSettingsSchema = z
  .object({
    ttlMs: z.number().int().min(100),
    heartbeatMs: z.number().int().positive(),
    waitMs: z.number().int().min(0),
    pollMs: z.number().int().positive(),
  })
  .refine((settings) => settings.heartbeatMs * 2 <= settings.ttlMs, {
    message: 'heartbeatMs must be at most half of ttlMs, so a lease gets two renewals before it expires',
  });

export type LeaseSettings = z.infer<typeof leaseSettingsSchema>;

/** The outcome of trying to take an idempotency key before running a write. */
export type Claim =
  /** This attempt owns the key; `lease` (a unique id) fences later updates against a take-over. */
  | { kind: 'run'; lease: string }
  /** The key already completed with the same arguments: return the stored result. */
  | { kind: 'replay'; data: unknown };

/** Keeps a lease alive while its write runs. */
export interface LeaseHeartbeat {
  /** True once the lease was found taken over (or could not be renewed for a whole TTL). */
  readonly lost: boolean;
  /** Stops renewing (waits for a renewal under way); safe to call more than once. */
  stop(): Promise<void>;
}

interface KeyRow {
  args_hash: string;
  status: 'in_progress' | 'completed' | 'failed';
  result: { data: unknown } | null;
  lock_active: boolean;
}

/** How a write takes, renews, completes and releases its idempotency key (table `idempotency_keys`). */
export interface IdempotencyStore {
  readonly settings: LeaseSettings;
  claim(key: string, connectorId: string, operation: string, argsHash: string): Promise<Claim>;
  /** Extends the lease by one TTL; false when the key is no longer held under `lease`. */
  renew(key: string, lease: string): Promise<boolean>;
  /** Stores the result; false (nothing stored) when the lease was taken over meanwhile. */
  complete(key: string, lease: string, data: unknown): Promise<boolean>;
  /** Marks the key failed so a retry can run; false (nothing changed) when the lease was taken over. */
  release(key: string, lease: string, error: { kind: string; message: string }): Promise<boolean>;
  /** Renews the lease every `heartbeatMs` until stopped. */
  keepAlive(key: string, lease: string): LeaseHeartbeat;
}

const jobOfCaller = new AsyncLocalStorage<string>();

/**
 * Runs `fn` on behalf of a job: every lease its writes take records `job` as its holder's job
 * (jobs/bullmq-workers.ts wraps each job's handler), so an operator can tell which job holds a key.
 */
export function runAsJob<T>(job: string, fn: () => T): T {
  return jobOfCaller.run(job, fn);
}

/**
 * Creates the store. A claim on a key another attempt holds polls for up to `waitMs` until that
 * attempt finishes (then replays, or takes over a released key) or its lease expires (then takes it
 * over), and only then answers a retryable `conflict`.
 */
export function createIdempotencyStore(
  db: Queryable,
  options: Partial<LeaseSettings> = {},
): IdempotencyStore {
  const settings = leaseSettingsSchema.parse({ ...defaultLeaseSettings, ...options });
  const ttlSeconds = settings.ttlMs / 1000;
  const holder = `${hostname()}:${process.pid}`;

  async function tryClaim(key: string, connectorId: string, operation: string, argsHash: string) {
    const lease = randomUUID();
    const job = jobOfCaller.getStore() ?? null;
    const inserted = await db.query(
      `INSERT INTO idempotency_keys
         (key, connector_id, operation, args_hash, status, locked_until, lease_id, holder, holder_job)
       VALUES ($1, $2, $3, $4, 'in_progress', now() + make_interval(secs => $5), $6, $7, $8)
       ON CONFLICT (key) DO NOTHING`,
      [key, connectorId, operation, argsHash, ttlSeconds, lease, holder, job],
    );
    if ((inserted.rowCount ?? 0) > 0) return { kind: 'run', lease } as const;
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
    // A failed attempt released the key, or its holder stopped renewing (died): take it over
    // atomically, under a new lease id that fences the old holder out.
    const taken = await db.query(
      `UPDATE idempotency_keys
       SET status = 'in_progress', locked_until = now() + make_interval(secs => $3), error = NULL,
           lease_id = $4, holder = $5, holder_job = $6
       WHERE key = $1 AND args_hash = $2
         AND (status = 'failed' OR (status = 'in_progress' AND locked_until <= now()))`,
      [key, argsHash, ttlSeconds, lease, holder, job],
    );
    return (taken.rowCount ?? 0) > 0 ? ({ kind: 'run', lease } as const) : ({ kind: 'again' } as const);
  }

  async function renew(key: string, lease: string): Promise<boolean> {
    // An expired lease nobody took over is still this holder's: renewing it is safe, because a
    // take-over changes `lease_id` in the same statement that checks the expiry.
    const { rowCount } = await db.query(
      `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3)
       WHERE key = $1 AND lease_id = $2 AND status = 'in_progress'`,
      [key, lease, ttlSeconds],
    );
    return (rowCount ?? 0) > 0;
  }

  return {
    settings,

    async claim(key, connectorId, operation, argsHash) {
      const deadline = Date.now() + settings.waitMs;
      let pause = settings.pollMs;
      for (let round = 0; ; round++) {
        const outcome = await tryClaim(key, connectorId, operation, argsHash);
        if (outcome.kind === 'run' || outcome.kind === 'replay') return outcome;
        if (outcome.kind === 'again' && round < 3) continue;
        if (Date.now() >= deadline) {
          throw new ConnectorError('conflict', 'the same write is already in progress; try again shortly', {
            retryable: true,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, deadline - Date.now())));
        // Waiting out a dead holder's lease takes seconds: poll less often as the wait goes on.
        pause = Math.min(pause * 2, Math.max(settings.pollMs, 500));
      }
    },

    renew,

    async complete(key, lease, data) {
      const { rowCount } = await db.query(
        `UPDATE idempotency_keys SET status = 'completed', result = $3, locked_until = NULL, completed_at = now()
         WHERE key = $1 AND lease_id = $2 AND status = 'in_progress'`,
        [key, lease, JSON.stringify({ data: data ?? null })],
      );
      return (rowCount ?? 0) > 0;
    },

    async release(key, lease, error) {
      const { rowCount } = await db.query(
        `UPDATE idempotency_keys SET status = 'failed', error = $3, locked_until = NULL
         WHERE key = $1 AND lease_id = $2 AND status = 'in_progress'`,
        [key, lease, JSON.stringify(error)],
      );
      return (rowCount ?? 0) > 0;
    },

    keepAlive(key, lease) {
      let stopped = false;
      let lost = false;
      let timer: NodeJS.Timeout | undefined;
      let beating: Promise<void> = Promise.resolve();
      let renewedAt = Date.now();
      const beat = async () => {
        try {
          if (await renew(key, lease)) renewedAt = Date.now();
          else lost = true;
        } catch {
          // A failed renewal (database unreachable) does not mean the lease is gone; a whole TTL
          // without one does, because another attempt may have taken the key over by then.
          if (Date.now() - renewedAt >= settings.ttlMs) lost = true;
        }
        if (!stopped && !lost) schedule();
      };
      const schedule = () => {
        timer = setTimeout(() => {
          beating = beat();
        }, settings.heartbeatMs);
        // The write itself keeps the process busy; a heartbeat alone must not keep it alive.
        timer.unref();
      };
      schedule();
      return {
        get lost() {
          return lost;
        },
        async stop() {
          stopped = true;
          clearTimeout(timer);
          await beating;
        },
      };
    },
  };
}
