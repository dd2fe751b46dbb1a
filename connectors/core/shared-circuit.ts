import { z } from 'zod';
import type { Logger } from './logger.ts';

/**
 * Circuit-breaker state shared by every process (API, workers) that calls the same systems, so one
 * worker does not keep calling a system another already found down (docs/connectors-core.md,
 * "Shared breaker state"). Each process keeps its own cockatiel breaker; what is shared is the
 * verdict "open until" and the one trial call of the half-open state.
 */

/** A connector's circuit as a process recorded it open for everyone. */
export const sharedCircuitRecordSchema = z.object({
  /** Epoch milliseconds until which every process fails fast. */
  openUntil: z.number().int().nonnegative(),
  /** Why it opened (the last failure's kind and message, scrubbed like audit rows). */
  reason: z.string().max(500),
});
export type SharedCircuitRecord = z.infer<typeof sharedCircuitRecordSchema>;

/** What another process changed. */
export const sharedCircuitChangeSchema = z.discriminatedUnion('change', [
  z.object({ connectorId: z.string(), change: z.literal('open'), record: sharedCircuitRecordSchema }),
  z.object({ connectorId: z.string(), change: z.literal('closed') }),
]);
export type SharedCircuitChange = z.infer<typeof sharedCircuitChangeSchema>;

/**
 * Where the processes keep the shared state (Redis when `REDIS_URL` is set: `redis-circuit-store.ts`).
 * One store per process: it does not tell a process about its own changes. Every method may reject
 * when the store is unreachable; callers then fall back to their own breaker.
 */
export interface SharedCircuitStore {
  /** The open record of a connector, or null when none is kept (closed, or its time ran out). */
  read(connectorId: string): Promise<SharedCircuitRecord | null>;
  /** Records the circuit open for everyone, kept `ttlMs`; drops any trial lease; tells the others. */
  open(connectorId: string, record: SharedCircuitRecord, ttlMs: number): Promise<void>;
  /** Takes the one trial call across processes for `leaseMs`: a token, or null when another holds it. */
  takeTrial(connectorId: string, leaseMs: number): Promise<string | null>;
  /** Gives a trial lease back without a verdict (the trial never reached the system). */
  releaseTrial(connectorId: string, token: string): Promise<void>;
  /** Closes the circuit for everyone: drops the record and the lease; tells the others. */
  close(connectorId: string): Promise<void>;
  /** Other processes' changes, as they happen (best effort: a missed one heals at the next trial). */
  subscribe(listener: (change: SharedCircuitChange) => void): Promise<() => Promise<void>>;
}

/** What the shared state lets one attempt do. */
export type SharedAdmission =
  | { kind: 'pass' }
  | { kind: 'trial'; token: string }
  | { kind: 'open'; record: SharedCircuitRecord };

/** The view of one connector's shared state in this process. */
export interface SharedCircuitView {
  /** `open` until `openUntil`; `half_open` after it, until a trial call closes it; null: nothing known. */
  state: 'open' | 'half_open' | null;
  openUntil: Date | null;
  reason: string | null;
}

/** One connector's side of the shared state, used by its resilience stage. */
export interface SharedCircuitGate {
  /** Before each vendor attempt: pass, be the one trial call, or fail fast. Never rejects. */
  admit(timeoutMs: number): Promise<SharedAdmission>;
  /** After a trial attempt: closes for everyone, opens again, or gives the lease back. Never rejects. */
  settle(
    admission: SharedAdmission,
    outcome: 'succeeded' | 'failed' | 'not_reached',
    reason: string,
  ): Promise<void>;
  /** This process's breaker opened: record it for everyone. Never rejects. */
  opened(reason: string): Promise<void>;
  /** This process's breaker closed after a test call: close it for everyone. Never rejects. */
  closed(): Promise<void>;
  /** A change another process made (from the subscription). */
  apply(change: SharedCircuitChange): void;
  /** What this process knows, without asking the store. */
  view(): SharedCircuitView;
  /** Asks the store first (the admin page), then `view()`. */
  refresh(): Promise<SharedCircuitView>;
}

/** The shared state of one process: a gate per connector, and one "store unreachable" notice. */
export interface SharedCircuits {
  gate(connectorId: string, options: { halfOpenAfterMs: number; onChange(): void }): SharedCircuitGate;
}

/** Extra time a trial lease outlives the attempt's own timeout, so it never runs out mid-call. */
const trialLeaseMarginMs = 1_000;

/**
 * Builds the gates over a store. A store failure makes the gate answer as if nothing were shared —
 * the process's own breaker decides, as without Redis — and is logged once until the store answers
 * again (a Redis outage must never fail or slow down a connector call beyond one command timeout).
 */
export function createSharedCircuits(
  store: SharedCircuitStore,
  options: { logger: Logger; now?: () => number },
): SharedCircuits {
  const now = options.now ?? Date.now;
  let unavailable = false;
  const failed = (error: unknown) => {
    if (unavailable) return;
    unavailable = true;
    options.logger.warn(
      { err: error },
      'shared circuit-breaker state is unreachable: each process uses its own breakers until it answers again',
    );
  };
  const answered = () => {
    if (!unavailable) return;
    unavailable = false;
    options.logger.warn({}, 'shared circuit-breaker state answers again');
  };
  /** Runs a store command; null when it failed (logged once). */
  const attempt = async <T>(command: () => Promise<T>): Promise<{ value: T } | null> => {
    try {
      const value = await command();
      answered();
      return { value };
    } catch (error) {
      failed(error);
      return null;
    }
  };

  return {
    gate(connectorId, { halfOpenAfterMs, onChange }) {
      /** The last open record this process knows of and has not seen closed. */
      let known: SharedCircuitRecord | null = null;
      const know = (record: SharedCircuitRecord | null) => {
        const changed = known?.openUntil !== record?.openUntil;
        known = record;
        if (changed) onChange();
      };
      const view = (): SharedCircuitView => {
        if (!known) return { state: null, openUntil: null, reason: null };
        return {
          state: now() < known.openUntil ? 'open' : 'half_open',
          openUntil: new Date(known.openUntil),
          reason: known.reason,
        };
      };
      const open = async (reason: string) => {
        // Already open for everyone (another process, or this call's trial verdict): keep that one.
        if (known && now() < known.openUntil) return;
        const record = { openUntil: now() + halfOpenAfterMs, reason: reason.slice(0, 500) };
        know(record);
        await attempt(() => store.open(connectorId, record, halfOpenAfterMs));
      };
      const close = async () => {
        know(null);
        await attempt(() => store.close(connectorId));
      };

      return {
        async admit(timeoutMs) {
          const read = await attempt(() => store.read(connectorId));
          if (!read) return { kind: 'pass' };
          if (read.value) {
            know(read.value);
            if (now() < read.value.openUntil) return { kind: 'open', record: read.value };
          }
          // Nothing known open: the process's own breaker decides, as without Redis.
          if (!known) return { kind: 'pass' };
          // Half-open: the record ran out (its TTL is the half-open delay) and no process has closed
          // it yet. One trial call across all processes; the others fail fast until it settles.
          const trial = await attempt(() => store.takeTrial(connectorId, timeoutMs + trialLeaseMarginMs));
          if (!trial) return { kind: 'pass' };
          return trial.value ? { kind: 'trial', token: trial.value } : { kind: 'open', record: known };
        },
        async settle(admission, outcome, reason) {
          if (admission.kind !== 'trial') return;
          if (outcome === 'failed') await open(reason);
          else if (outcome === 'not_reached')
            await attempt(() => store.releaseTrial(connectorId, admission.token));
          // A close this process already made or heard of dropped the lease with the record.
          else if (known) await close();
        },
        opened: open,
        async closed() {
          if (known) await close();
        },
        apply(change) {
          know(change.change === 'open' ? change.record : null);
        },
        view,
        async refresh() {
          const read = await attempt(() => store.read(connectorId));
          if (read?.value) know(read.value);
          return view();
        },
      };
    },
  };
}
