import { type FormEvent, useEffect, useState } from 'react';
import type {
  ConnectorSummary,
  CredentialsBody,
  PolicyResetResponse,
  PolicyView,
} from '../../../api/contract/admin.ts';
import { formatDateTime, humanize } from '../shared/format.ts';
import { ApiRequestError, errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

/**
 * Sets a connector's credentials. Write-only: the inputs start empty and are cleared after saving;
 * stored values are never fetched or shown.
 */
export function CredentialsForm({ connector, onSaved }: { connector: ConnectorSummary; onSaved(): void }) {
  const { request } = useStaffSession();
  const [values, setValues] = useState<Record<string, string>>({});
  const [newField, setNewField] = useState('');
  const [newValue, setNewValue] = useState('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const fields: CredentialsBody = Object.fromEntries(Object.entries(values).filter(([, value]) => value));
    if (newField.trim() && newValue) fields[newField.trim()] = newValue;
    if (Object.keys(fields).length === 0) {
      setMessage({ kind: 'error', text: 'Enter at least one value.' });
      return;
    }
    try {
      await request(`/api/admin/connectors/${encodeURIComponent(connector.id)}/credentials`, {
        method: 'PUT',
        body: fields,
      });
      setValues({});
      setNewField('');
      setNewValue('');
      setMessage({ kind: 'ok', text: `Saved ${Object.keys(fields).join(', ')}.` });
      onSaved();
    } catch (failure) {
      setMessage({ kind: 'error', text: errorMessage(failure) });
    }
  };

  return (
    <form className="card section stack" onSubmit={save} autoComplete="off">
      <h2>Credentials: {connector.title}</h2>
      <p className="muted">
        State: {humanize(connector.credentials.state).toLowerCase()}. Values are stored encrypted and never
        shown again; enter a value to replace it.
      </p>
      {connector.credentials.fields.map((field) => (
        <label key={field.field}>
          {field.field}{' '}
          <span className="muted">
            (set {formatDateTime(field.updatedAt)}
            {field.expiresAt ? `, expires ${formatDateTime(field.expiresAt)}` : ''})
          </span>
          <input
            type="password"
            autoComplete="new-password"
            placeholder="Enter a new value to replace it"
            value={values[field.field] ?? ''}
            onChange={(event) => setValues((current) => ({ ...current, [field.field]: event.target.value }))}
          />
        </label>
      ))}
      <fieldset className="stack">
        <legend>Add a field</legend>
        <label>
          Field name
          <input
            value={newField}
            onChange={(event) => setNewField(event.target.value)}
            placeholder="e.g. api_key"
          />
        </label>
        <label>
          Secret value
          <input
            type="password"
            autoComplete="new-password"
            value={newValue}
            onChange={(event) => setNewValue(event.target.value)}
          />
        </label>
      </fieldset>
      <div className="button-row">
        <button type="submit" className="primary">
          Save credentials
        </button>
      </div>
      {message && (
        <p
          className={message.kind === 'error' ? 'error' : 'muted'}
          role={message.kind === 'error' ? 'alert' : 'status'}
        >
          {message.text}
        </p>
      )}
    </form>
  );
}

/** What the editor says of where the policy comes from. */
const sourceText = (data: PolicyView) =>
  data.source === 'stored' ? `Changed by an admin (${formatDateTime(data.updatedAt)})` : 'The default policy';

/**
 * Views and replaces a connector's policy as JSON; the server validates it and its errors are listed.
 * An admin's override can be reset to the configured default (the button shows only then).
 */
export function PolicyEditor({ connectorId, title }: { connectorId: string; title: string }) {
  const { request } = useStaffSession();
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [view, setView] = useState<PolicyView | null>(null);
  const url = `/api/admin/connectors/${encodeURIComponent(connectorId)}/policy`;

  useEffect(() => {
    setErrors([]);
    setSaved(null);
    request<PolicyView>(url)
      .then((data) => {
        setText(JSON.stringify(data.policy, null, 2));
        setView(data);
      })
      .catch((failure) => setErrors([errorMessage(failure)]));
  }, [request, url]);

  const reset = async () => {
    setSaved(null);
    try {
      const data = await request<PolicyResetResponse>(url, { method: 'DELETE' });
      setText(JSON.stringify(data.policy, null, 2));
      setView(data);
      setErrors([]);
      setSaved(data.removed ? 'Policy reset to the default.' : 'The default policy already applies.');
    } catch (failure) {
      setErrors([errorMessage(failure)]);
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    let policy: unknown;
    try {
      policy = JSON.parse(text);
    } catch (failure) {
      setErrors([`Not valid JSON: ${errorMessage(failure)}`]);
      return;
    }
    try {
      const data = await request<PolicyView>(url, { method: 'PUT', body: policy });
      setText(JSON.stringify(data.policy, null, 2));
      setView(data);
      setErrors([]);
      setSaved('Policy saved.');
    } catch (failure) {
      const details =
        failure instanceof ApiRequestError
          ? failure.details.map((detail) => (typeof detail === 'string' ? detail : JSON.stringify(detail)))
          : [];
      setErrors([errorMessage(failure), ...details]);
    }
  };

  return (
    <form className="card section stack policy-editor" onSubmit={save}>
      <h2>Policy: {title}</h2>
      {view && <p className="muted">{sourceText(view)}</p>}
      <label>
        Policy (JSON)
        <textarea
          value={text}
          spellCheck={false}
          onChange={(event) => setText(event.target.value)}
          aria-invalid={errors.length > 0}
          aria-describedby={errors.length > 0 ? 'policy-errors' : undefined}
        />
      </label>
      {errors.length > 0 && (
        <ul id="policy-errors" className="error" role="alert">
          {errors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      )}
      {saved && (
        <p role="status" className="muted">
          {saved}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="primary">
          Save policy
        </button>
        {view?.source === 'stored' && (
          <button type="button" onClick={() => void reset()}>
            Reset to default
          </button>
        )}
      </div>
    </form>
  );
}
