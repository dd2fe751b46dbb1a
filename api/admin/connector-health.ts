import { vendorFailureKinds } from '../../connectors/core/pipeline.ts';
import type { CircuitStateName } from '../../connectors/core/resilience.ts';
import type { Queryable } from '../../db/database.ts';

/** How far back the admin page looks at connector calls. */
export const healthWindowMs = 15 * 60_000;

/** A connector's traffic light: `idle` means no calls in the window. */
export type HealthStatus = 'ok' | 'degraded' | 'down' | 'idle';

/** Call statistics of one connector over the window, from `audit_log`. */
export interface AuditHealth {
  calls: number;
  failures: number;
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastError: { kind: string; message: string; at: string } | null;
}

/** One minute of a connector's calls, for the latency chart. */
export interface LatencyBucket {
  minute: string;
  calls: number;
  failures: number;
  p95LatencyMs: number;
}

const failureKinds = [...vendorFailureKinds];

// Only calls that reached (or tried to reach) the system count: approvals and hand-offs never ran.
// A stale answer, or an error of a vendor-failure kind, is a failure; any other answer is the system working.
const countedCalls = `SELECT connector_id, at, latency_ms,
    (outcome = 'stale' OR (outcome = 'error' AND error_kind = ANY($2::text[]))) AS failed
  FROM audit_log WHERE at >= $1 AND outcome IN ('ok', 'stale', 'error')`;

const emptyHealth: AuditHealth = {
  calls: 0,
  failures: 0,
  successRate: null,
  p50LatencyMs: null,
  p95LatencyMs: null,
  lastError: null,
};

/**
 * Health of every connector that was called in the window, from the audit log: it sees the calls of
 * every process (API and workers), where the in-memory tracker sees only this one's.
 */
export async function auditHealth(
  db: Queryable,
  since: Date,
  connectorId?: string,
): Promise<Map<string, AuditHealth>> {
  const only = connectorId ? 'WHERE connector_id = $3' : '';
  const parameters = [since, failureKinds, ...(connectorId ? [connectorId] : [])];
  const { rows } = await db.query<{
    connector_id: string;
    calls: number;
    failures: number;
    p50: number | null;
    p95: number | null;
  }>(
    `SELECT connector_id, count(*)::int AS calls, count(*) FILTER (WHERE failed)::int AS failures,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
     FROM (${countedCalls}) calls ${only} GROUP BY connector_id`,
    parameters,
  );
  const errors = await db.query<{ connector_id: string; kind: string; message: string | null; at: Date }>(
    `SELECT DISTINCT ON (connector_id) connector_id, coalesce(error_kind, 'unknown') AS kind,
       detail->>'error' AS message, at
     FROM audit_log
     WHERE at >= $1 AND (outcome = 'stale' OR (outcome = 'error' AND error_kind = ANY($2::text[])))
       ${connectorId ? 'AND connector_id = $3' : ''}
     ORDER BY connector_id, at DESC, id DESC`,
    parameters,
  );
  const lastErrors = new Map(errors.rows.map((row) => [row.connector_id, row]));
  const health = new Map<string, AuditHealth>();
  for (const row of rows) {
    const error = lastErrors.get(row.connector_id);
    health.set(row.connector_id, {
      calls: row.calls,
      failures: row.failures,
      successRate: row.calls > 0 ? (row.calls - row.failures) / row.calls : null,
      p50LatencyMs: roundMs(row.p50),
      p95LatencyMs: roundMs(row.p95),
      lastError: error
        ? { kind: error.kind, message: error.message ?? error.kind, at: new Date(error.at).toISOString() }
        : null,
    });
  }
  return health;
}

/** The health of a connector with no calls in the window. */
export const idleHealth = (): AuditHealth => ({ ...emptyHealth });

/** Per-minute call counts and p95 latency over the window (minutes without calls are left out). */
export async function latencyBuckets(
  db: Queryable,
  since: Date,
  connectorId?: string,
): Promise<Map<string, LatencyBucket[]>> {
  const { rows } = await db.query<{
    connector_id: string;
    minute: Date;
    calls: number;
    failures: number;
    p95: number;
  }>(
    `SELECT connector_id, date_trunc('minute', at) AS minute, count(*)::int AS calls,
       count(*) FILTER (WHERE failed)::int AS failures,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
     FROM (${countedCalls}) calls ${connectorId ? 'WHERE connector_id = $3' : ''}
     GROUP BY connector_id, minute ORDER BY connector_id, minute`,
    [since, failureKinds, ...(connectorId ? [connectorId] : [])],
  );
  const series = new Map<string, LatencyBucket[]>();
  for (const row of rows) {
    const list = series.get(row.connector_id) ?? [];
    list.push({
      minute: new Date(row.minute).toISOString(),
      calls: row.calls,
      failures: row.failures,
      p95LatencyMs: roundMs(row.p95) ?? 0,
    });
    series.set(row.connector_id, list);
  }
  return series;
}

/** The most recent counted calls of one connector (oldest first), for a per-call latency chart. */
export async function recentCalls(
  db: Queryable,
  connectorId: string,
  since: Date,
  limit = 100,
): Promise<Array<{ at: string; latencyMs: number; ok: boolean }>> {
  const { rows } = await db.query<{ at: Date; latency_ms: number; failed: boolean }>(
    `SELECT at, latency_ms, failed FROM (${countedCalls}) calls WHERE connector_id = $3
     ORDER BY at DESC LIMIT $4`,
    [since, failureKinds, connectorId, limit],
  );
  return rows.reverse().map((row) => ({
    at: new Date(row.at).toISOString(),
    latencyMs: roundMs(row.latency_ms)!,
    ok: !row.failed,
  }));
}

/**
 * The traffic light: `down` when the circuit is open or most calls fail, `degraded` when some fail
 * or the circuit is probing, `idle` when nothing was called.
 */
export function healthStatus(health: AuditHealth, circuit: CircuitStateName): HealthStatus {
  const rate = health.successRate;
  if (circuit === 'open' || (health.calls >= 3 && rate !== null && rate < 0.5)) return 'down';
  if (circuit === 'half_open' || (rate !== null && rate < 0.95)) return 'degraded';
  return health.calls === 0 ? 'idle' : 'ok';
}

function roundMs(value: number | null): number | null {
  return value === null ? null : Math.round(Number(value) * 10) / 10;
}
