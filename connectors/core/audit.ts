import type { Queryable } from './queryable.ts';

/** The outcome column of an audit row. */
export type AuditOutcome = 'ok' | 'stale' | 'approval_required' | 'human_required' | 'error';

/** One connector call as recorded in `audit_log`. `detail` never holds secrets or redacted fields. */
export interface AuditRow {
  at: Date;
  conversationId: string | null;
  actor: string;
  accountId: string | null;
  connectorId: string;
  operation: string;
  effect: 'read' | 'write';
  argsHash: string;
  idempotencyKey: string | null;
  outcome: AuditOutcome;
  errorKind: string | null;
  latencyMs: number;
  stale: boolean;
  detail: Record<string, unknown>;
}

/** How audit rows reach the table. */
export interface AuditSettings {
  /**
   * `sync` inserts each row before the call returns. `buffered` (default) queues the rows of
   * successful reads and inserts them in batches every `flushIntervalMs` (or at `maxBatch`); every
   * other row (writes, errors, approvals, hand-offs) is inserted before its call returns, together
   * with everything queued before it — so rows stay in call order, and whatever an escalation
   * reads is already there. `flush()`/`close()` write the rest.
   */
  mode: 'sync' | 'buffered';
  flushIntervalMs?: number;
  maxBatch?: number;
}

/** Writes audit rows; `close()` flushes everything still queued. */
export interface AuditWriter {
  write(row: AuditRow): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const columns = 14;

/** Rows that may wait in the buffer: successful reads. */
const mayWait = (row: AuditRow) => row.effect === 'read' && (row.outcome === 'ok' || row.outcome === 'stale');

/** Creates the writer. A failed batch insert is reported through `onError` and kept for the next flush. */
export function createAuditWriter(
  db: Queryable,
  settings: AuditSettings,
  onError: (error: unknown) => void = () => {},
): AuditWriter {
  if (settings.mode === 'sync') {
    return {
      write: (row) => insertRows(db, [row]),
      flush: async () => {},
      close: async () => {},
    };
  }
  const maxBatch = settings.maxBatch ?? 200;
  let queue: AuditRow[] = [];
  // One insert at a time, so batches land in the order their calls finished.
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const insertQueued = (extra: AuditRow[] = []): Promise<void> => {
    const run = chain.then(async () => {
      const batch = [...queue.splice(0), ...extra];
      for (let start = 0; start < batch.length; start += maxBatch) {
        const slice = batch.slice(start, start + maxBatch);
        try {
          await insertRows(db, slice);
        } catch (error) {
          // Put what was not written back in front so nothing is lost; the next flush tries again.
          queue = [...batch.slice(start), ...queue];
          onError(error);
          throw error;
        }
      }
    });
    chain = run.catch(() => {});
    return run;
  };
  const timer = setInterval(() => {
    if (queue.length > 0) insertQueued().catch(() => {});
  }, settings.flushIntervalMs ?? 100);
  timer.unref();

  return {
    async write(row) {
      if (closed || !mayWait(row)) return insertQueued([row]);
      queue.push(row);
      if (queue.length >= maxBatch) insertQueued().catch(() => {});
    },
    flush: () => insertQueued(),
    async close() {
      closed = true;
      clearInterval(timer);
      await insertQueued();
    },
  };
}

async function insertRows(db: Queryable, rows: AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values: unknown[] = [];
  const tuples = rows.map((row, index) => {
    values.push(
      row.at,
      row.conversationId,
      row.actor,
      row.accountId,
      row.connectorId,
      row.operation,
      row.effect,
      row.argsHash,
      row.idempotencyKey,
      row.outcome,
      row.errorKind,
      row.latencyMs,
      row.stale,
      JSON.stringify(row.detail),
    );
    const base = index * columns;
    return `(${Array.from({ length: columns }, (_, column) => `$${base + column + 1}`).join(', ')})`;
  });
  await db.query(
    `INSERT INTO audit_log (at, conversation_id, actor, account_id, connector_id, operation, effect, args_hash,
       idempotency_key, outcome, error_kind, latency_ms, stale, detail)
     VALUES ${tuples.join(', ')}`,
    values,
  );
}
