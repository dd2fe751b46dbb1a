import { useCallback, useEffect, useState } from 'react';
import { formatDateTime, formatMs, formatPercent, humanize } from '../shared/format.ts';
import { asList, errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { Sparkline } from './charts.tsx';
import { CredentialsForm, PolicyEditor } from './connector-settings.tsx';
import { FaultPanel } from './fault-panel.tsx';

/** One connector's row (`GET /api/admin/connectors`). */
export interface ConnectorRow {
  id: string;
  title: string;
  /** ok | degraded | down | idle, as the API judges it. */
  status: string;
  circuit: string;
  calls: number;
  successRate: number | null;
  p95LatencyMs: number | null;
  lastError: { kind: string; message: string; at: string } | null;
  /** p95 latency per minute, oldest first. */
  latency: number[];
  credentials: {
    state: string;
    fields: Array<{ field: string; updatedAt: string | null; expiresAt: string | null }>;
  };
}

function readConnector(value: unknown): ConnectorRow {
  const row = (value ?? {}) as Record<string, unknown>;
  const health = (row.health ?? {}) as Record<string, unknown>;
  const credentials = (row.credentials ?? {}) as Record<string, unknown>;
  const buckets = Array.isArray(health.latency) ? (health.latency as Array<{ p95LatencyMs?: number }>) : [];
  return {
    id: String(row.id),
    title: String(row.title ?? row.id),
    status: String(health.status ?? 'idle'),
    circuit: String(health.circuit ?? 'closed'),
    calls: Number(health.calls ?? 0),
    successRate: (health.successRate as number | null) ?? null,
    p95LatencyMs: (health.p95LatencyMs as number | null) ?? null,
    lastError: (health.lastError as ConnectorRow['lastError']) ?? null,
    latency: buckets.map((bucket) => Number(bucket.p95LatencyMs ?? 0)),
    credentials: {
      state: String(credentials.state ?? 'not_required'),
      fields: Array.isArray(credentials.fields)
        ? (credentials.fields as ConnectorRow['credentials']['fields'])
        : [],
    },
  };
}

const statusLabels: Record<string, { label: string; badge: string }> = {
  ok: { label: 'Healthy', badge: 'badge-ok' },
  degraded: { label: 'Degraded', badge: 'badge-warn' },
  down: { label: 'Down', badge: 'badge-error' },
  idle: { label: 'Idle (no recent calls)', badge: '' },
};

/** A status in words (colour is never the only signal); credentials that block calls win. */
export function connectorStatus(row: ConnectorRow): { label: string; badge: string } {
  if (['missing', 'expired', 'invalid'].includes(row.credentials.state))
    return { label: 'Credentials needed', badge: 'badge-error' };
  return statusLabels[row.status] ?? { label: humanize(row.status), badge: '' };
}

const pollMs = 10_000;

/** Connector health, refreshed every 10 s, with credentials and policy per connector. */
export function ConnectorsPage() {
  const { request } = useStaffSession();
  const [rows, setRows] = useState<ConnectorRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<Record<string, string>>({});

  const load = useCallback(async () => {
    try {
      setRows(asList(await request('/api/admin/connectors'), 'connectors').map(readConnector));
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request]);

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), pollMs);
    return () => window.clearInterval(timer);
  }, [load]);

  const test = async (id: string) => {
    setTestResult((current) => ({ ...current, [id]: 'Testing…' }));
    try {
      const result = await request<{ ok: boolean; detail: string; latencyMs?: number }>(
        `/api/admin/connectors/${encodeURIComponent(id)}/test`,
        { method: 'POST', body: {} },
      );
      setTestResult((current) => ({
        ...current,
        [id]: `${result.ok ? 'OK' : 'Failed'}: ${result.detail}${result.latencyMs ? ` (${formatMs(result.latencyMs)})` : ''}`,
      }));
    } catch (failure) {
      setTestResult((current) => ({ ...current, [id]: `Failed: ${errorMessage(failure)}` }));
    }
  };

  const current = rows.find((row) => row.id === selected) ?? null;
  return (
    <>
      <h1>Connectors</h1>
      <p className="muted">
        Health of recent calls; the chart shows p95 latency per minute. Refreshed every 10 s.
      </p>
      {error && (
        <p className="banner banner-error" role="alert">
          Could not load connectors: {error}
        </p>
      )}
      <div className="table-wrap section">
        <table>
          <thead>
            <tr>
              <th scope="col">Connector</th>
              <th scope="col">Status</th>
              <th scope="col">Success</th>
              <th scope="col">p95</th>
              <th scope="col">Latency</th>
              <th scope="col">Circuit</th>
              <th scope="col">Last error</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const status = connectorStatus(row);
              return (
                <tr key={row.id}>
                  <th scope="row">
                    {row.title}
                    <div className="muted">{row.id}</div>
                  </th>
                  <td>
                    <span className={`badge ${status.badge}`}>{status.label}</span>
                    <div className="muted">Credentials: {humanize(row.credentials.state).toLowerCase()}</div>
                  </td>
                  <td>
                    {formatPercent(row.successRate)}
                    <div className="muted">{row.calls} calls</div>
                  </td>
                  <td>{formatMs(row.p95LatencyMs)}</td>
                  <td>
                    <Sparkline
                      values={row.latency}
                      label={`${row.title}: p95 latency per minute over ${row.latency.length} minutes`}
                    />
                  </td>
                  <td>{humanize(row.circuit)}</td>
                  <td>
                    {row.lastError ? (
                      <>
                        {humanize(row.lastError.kind)}: {row.lastError.message}
                        <div className="muted">{formatDateTime(row.lastError.at)}</div>
                      </>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td>
                    <div className="button-row">
                      <button type="button" onClick={() => void test(row.id)}>
                        Test <span className="sr-only">{row.title}</span>
                      </button>
                      <button
                        type="button"
                        aria-expanded={selected === row.id}
                        onClick={() => setSelected(selected === row.id ? null : row.id)}
                      >
                        Settings <span className="sr-only">of {row.title}</span>
                      </button>
                    </div>
                    {testResult[row.id] && (
                      <p role="status" className="muted">
                        {testResult[row.id]}
                      </p>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <FaultPanel connectors={rows.map((row) => row.id)} onChange={() => void load()} />
      {current && (
        <div className="columns">
          <CredentialsForm connector={current} onSaved={() => void load()} />
          <PolicyEditor connectorId={current.id} title={current.title} />
        </div>
      )}
    </>
  );
}
