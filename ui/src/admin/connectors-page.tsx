import { useCallback, useEffect, useState } from 'react';
import type {
  ConnectorListResponse,
  ConnectorSummary,
  ConnectorTestResponse,
} from '../../../api/contract/admin.ts';
import { formatDateTime, formatMs, formatPercent, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { BackendForm, selectableKinds } from './backend-form.tsx';
import { Sparkline } from './charts.tsx';
import { CredentialsForm, PolicyEditor } from './connector-settings.tsx';
import { FaultPanel } from './fault-panel.tsx';

const statusLabels: Record<string, { label: string; badge: string }> = {
  ok: { label: 'Healthy', badge: 'badge-ok' },
  degraded: { label: 'Degraded', badge: 'badge-warn' },
  down: { label: 'Down', badge: 'badge-error' },
  idle: { label: 'Idle (no recent calls)', badge: '' },
};

/** A status in words (colour is never the only signal); credentials that block calls win. */
export function connectorStatus(row: ConnectorSummary): { label: string; badge: string } {
  if (['missing', 'expired', 'invalid'].includes(row.credentials.state))
    return { label: 'Credentials needed', badge: 'badge-error' };
  return statusLabels[row.health.status] ?? { label: humanize(row.health.status), badge: '' };
}

const pollMs = 10_000;

/** Connector health, refreshed every 10 s, with credentials and policy per connector. */
export function ConnectorsPage() {
  const { request } = useStaffSession();
  const [rows, setRows] = useState<ConnectorSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  // Back from HubSpot's install page (`?connect=hubspot&code&state`): open the CRM settings, where
  // the "Connect HubSpot" block finishes the connection.
  const [selected, setSelected] = useState<string | null>(() =>
    new URLSearchParams(window.location.search).get('connect') === 'hubspot' ? 'crm' : null,
  );
  const [testResult, setTestResult] = useState<Record<string, string>>({});

  const load = useCallback(async () => {
    try {
      setRows((await request<ConnectorListResponse>('/api/admin/connectors')).connectors);
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
      const result = await request<ConnectorTestResponse>(
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
              const { health } = row;
              const latency = health.latency.map((bucket) => bucket.p95LatencyMs);
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
                    {formatPercent(health.successRate)}
                    <div className="muted">{health.calls} calls</div>
                  </td>
                  <td>{formatMs(health.p95LatencyMs)}</td>
                  <td>
                    <Sparkline
                      values={latency}
                      label={`${row.title}: p95 latency per minute over ${latency.length} minutes`}
                    />
                  </td>
                  <td>
                    {humanize(health.circuit)}
                    {health.circuitOpenUntil && (
                      <div className="muted">
                        {health.circuit === 'open' ? 'until' : 'since'}{' '}
                        {formatDateTime(health.circuitOpenUntil)}
                        {health.circuitReason ? `: ${health.circuitReason}` : ''}
                      </div>
                    )}
                  </td>
                  <td>
                    {health.lastError ? (
                      <>
                        {humanize(health.lastError.kind)}: {health.lastError.message}
                        <div className="muted">{formatDateTime(health.lastError.at)}</div>
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
      {current && selectableKinds.includes(current.id) && (
        <BackendForm key={current.id} kind={current.id} onSaved={() => void load()} />
      )}
      {current && (
        <div className="columns">
          <CredentialsForm connector={current} onSaved={() => void load()} />
          <PolicyEditor connectorId={current.id} title={current.title} />
        </div>
      )}
    </>
  );
}
