import type { ConnectorDefinition } from './definition.ts';
import type { CircuitStateName } from './resilience.ts';

/** Whether a connector's credentials are usable, as reported by whoever owns them. */
export interface CredentialStatus {
  state: 'ok' | 'missing' | 'expiring' | 'expired' | 'invalid' | 'not_required';
  detail?: string;
}

/** One connector's health, for the admin page and `/health` endpoints. */
export interface ConnectorHealth {
  id: string;
  title: string;
  circuit: CircuitStateName;
  /** Calls in the window (the last `maxSamples` calls that reached the vendor, within `windowMs`). */
  calls: number;
  /** Share of those calls the vendor answered (null when there were none). */
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastError: { kind: string; message: string; at: string } | null;
  credentials: CredentialStatus;
}

interface Sample {
  at: number;
  ok: boolean;
  latencyMs: number;
}

/** Rolling per-connector samples of calls that reached the vendor. */
export interface HealthTracker {
  record(
    connectorId: string,
    sample: { ok: boolean; latencyMs: number; error?: { kind: string; message: string } },
  ): void;
  stats(
    connectorId: string,
  ): Pick<ConnectorHealth, 'calls' | 'successRate' | 'p50LatencyMs' | 'p95LatencyMs' | 'lastError'>;
}

/** Creates a tracker keeping at most `maxSamples` samples per connector, none older than `windowMs`. */
export function createHealthTracker(
  options: { maxSamples?: number; windowMs?: number; clock?: () => number } = {},
): HealthTracker {
  const maxSamples = options.maxSamples ?? 200;
  const windowMs = options.windowMs ?? 5 * 60_000;
  const clock = options.clock ?? Date.now;
  const samples = new Map<string, Sample[]>();
  const lastErrors = new Map<string, { kind: string; message: string; at: string }>();

  return {
    record(connectorId, sample) {
      const list = samples.get(connectorId) ?? [];
      list.push({ at: clock(), ok: sample.ok, latencyMs: sample.latencyMs });
      if (list.length > maxSamples) list.splice(0, list.length - maxSamples);
      samples.set(connectorId, list);
      if (sample.error) lastErrors.set(connectorId, { ...sample.error, at: new Date(clock()).toISOString() });
    },
    stats(connectorId) {
      const since = clock() - windowMs;
      const recent = (samples.get(connectorId) ?? []).filter((sample) => sample.at >= since);
      const latencies = recent.map((sample) => sample.latencyMs).sort((a, b) => a - b);
      return {
        calls: recent.length,
        successRate: recent.length ? recent.filter((sample) => sample.ok).length / recent.length : null,
        p50LatencyMs: percentile(latencies, 0.5),
        p95LatencyMs: percentile(latencies, 0.95),
        lastError: lastErrors.get(connectorId) ?? null,
      };
    },
  };
}

/** Nearest-rank percentile of sorted values (null when empty). */
export function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1]!;
}

/** What the health view reads from. */
export interface HealthSources {
  connectors: ConnectorDefinition[];
  tracker: HealthTracker;
  circuitState(connectorId: string): CircuitStateName;
  credentialStatus?: (connectorId: string) => Promise<CredentialStatus>;
}

/** The health of every connector. A failing credential callback shows as `invalid`, not as a crash. */
export function createHealthView(sources: HealthSources): () => Promise<ConnectorHealth[]> {
  return () =>
    Promise.all(
      sources.connectors.map(async (connector) => ({
        id: connector.id,
        title: connector.title,
        circuit: sources.circuitState(connector.id),
        ...sources.tracker.stats(connector.id),
        credentials: await readCredentialStatus(sources, connector.id),
      })),
    );
}

async function readCredentialStatus(sources: HealthSources, connectorId: string): Promise<CredentialStatus> {
  if (!sources.credentialStatus) return { state: 'not_required' };
  try {
    return await sources.credentialStatus(connectorId);
  } catch {
    return { state: 'invalid', detail: 'credential status could not be read' };
  }
}

/** Runs a connector's `check()` (who-am-I) with a timeout; never throws. */
export async function checkConnector(
  connector: ConnectorDefinition,
  timeoutMs = 10_000,
): Promise<{ ok: boolean; detail: string; latencyMs: number }> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<{ ok: false; detail: string }>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ ok: false, detail: `check timed out after ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([connector.check(controller.signal), timedOut]);
    return { ...result, latencyMs: performance.now() - started };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, detail: `check failed: ${detail}`, latencyMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
