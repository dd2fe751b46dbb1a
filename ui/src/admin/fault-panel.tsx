import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import type { ArmFaultBody, FaultMode, FaultsResponse, FaultView } from '../../../api/contract/admin.ts';
import { ApiRequestError, errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

const modes: Array<{ value: FaultMode; label: string }> = [
  { value: 'error', label: 'Error (the system answers 5xx)' },
  { value: 'timeout', label: 'Timeout (the system hangs)' },
  { value: 'slow', label: 'Slow (3 s per call)' },
  { value: 'malformed', label: 'Malformed responses' },
];

/**
 * Fault injection (game days, demos): make a connector fail and watch health, the circuit breaker and
 * the agent's hand-offs react. Hidden where the deployment does not allow it.
 */
export function FaultPanel({ connectors, onChange }: { connectors: string[]; onChange: () => void }) {
  const { request } = useStaffSession();
  const [available, setAvailable] = useState<boolean | null>(null);
  const [armed, setArmed] = useState<FaultView[]>([]);
  const [connector, setConnector] = useState('billing');
  const [mode, setMode] = useState<FaultMode>('error');
  const [message, setMessage] = useState<string | null>(null);
  const ids = { connector: useId(), mode: useId() };

  const load = useCallback(async () => {
    try {
      setArmed((await request<FaultsResponse>('/api/admin/faults')).armed);
      setAvailable(true);
    } catch (failure) {
      if (failure instanceof ApiRequestError && failure.status === 404) setAvailable(false);
      else setMessage(errorMessage(failure));
    }
  }, [request]);

  useEffect(() => {
    void load();
  }, [load]);

  if (!available) return null;

  const arm = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const result = await request<FaultsResponse>('/api/admin/faults', {
        method: 'POST',
        body: { connector, mode } satisfies ArmFaultBody,
      });
      setArmed(result.armed);
      setMessage(`Armed: ${connector} calls now fail (${mode}).`);
      onChange();
    } catch (failure) {
      setMessage(errorMessage(failure));
    }
  };

  const clear = async () => {
    try {
      setArmed((await request<FaultsResponse>('/api/admin/faults', { method: 'DELETE' })).armed);
      setMessage('Every fault cleared.');
      onChange();
    } catch (failure) {
      setMessage(errorMessage(failure));
    }
  };

  return (
    <section className="section" aria-labelledby="faults-heading">
      <h2 id="faults-heading">Fault injection</h2>
      <p className="muted">
        Make a connector fail in this process to rehearse an outage: health, the circuit breaker and the
        agent's hand-offs react as they would for real. Never on a deployment serving customers.
      </p>
      <form className="button-row" onSubmit={(event) => void arm(event)}>
        <label htmlFor={ids.connector}>Connector</label>
        <select id={ids.connector} value={connector} onChange={(event) => setConnector(event.target.value)}>
          {connectors.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
        <label htmlFor={ids.mode}>Failure</label>
        <select id={ids.mode} value={mode} onChange={(event) => setMode(event.target.value as FaultMode)}>
          {modes.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
        <button type="submit">Inject outage</button>
        <button type="button" onClick={() => void clear()} disabled={armed.length === 0}>
          Clear faults
        </button>
      </form>
      {message && (
        <p role="status" className="muted">
          {message}
        </p>
      )}
      {armed.length > 0 && (
        <ul aria-label="Armed faults">
          {armed.map((fault) => (
            <li key={`${fault.connector}.${fault.operation}.${fault.mode}`}>
              {fault.connector}.{fault.operation}: {fault.mode}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
