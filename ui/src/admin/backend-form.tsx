import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { z } from 'zod';
import type {
  BackendCheck,
  BackendChoice,
  BackendField,
  BackendView,
  backendsResponseSchema,
} from '../../../api/contract/admin.ts';
import { formatDateTime, formatMs } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

type BackendsResponse = z.infer<typeof backendsResponseSchema>;

/** The connector kinds whose backend an admin can choose. */
export const selectableKinds = ['billing', 'crm', 'ticketing', 'calendar'];

/**
 * Which system a connector kind runs on: the built-in tables or a vendor (Stripe, HubSpot, Zendesk,
 * Google Calendar). Secrets are write-only: their inputs start empty, and only "stored" is shown.
 * "Test connection" checks what is typed without saving; "Save and switch" applies it everywhere.
 */
export function BackendForm({ kind, onSaved }: { kind: string; onSaved(): void }) {
  const { request } = useStaffSession();
  const [view, setView] = useState<BackendView | null>(null);
  const [backend, setBackend] = useState('builtin');
  const [values, setValues] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const { backends } = await request<BackendsResponse>('/api/admin/backends');
      const found = backends.find((candidate) => candidate.kind === kind) ?? null;
      setView(found);
      if (found) setBackend(found.backend);
      setValues({});
    } catch (failure) {
      setMessage({ kind: 'error', text: errorMessage(failure) });
    }
  }, [kind, request]);

  useEffect(() => {
    void load();
  }, [load]);

  if (!view) return null;
  const option = view.options.find((candidate) => candidate.id === backend) ?? null;
  const editable = (field: BackendField) => field.source !== 'environment';

  const choice = (): BackendChoice => {
    const settings: Record<string, string> = {};
    const secrets: Record<string, string> = {};
    for (const field of option?.fields ?? []) {
      if (!editable(field)) continue;
      const typed = values[field.name];
      if (field.secret) {
        if (typed) secrets[field.name] = typed;
      } else {
        const value = typed ?? field.value ?? '';
        if (value) settings[field.name] = value;
      }
    }
    return { backend, settings, secrets };
  };

  const describeCheck = (check: BackendCheck) =>
    `${check.ok ? 'Connected' : 'Failed'}: ${check.detail}${check.latencyMs ? ` (${formatMs(check.latencyMs)})` : ''}`;

  const test = async () => {
    setBusy(true);
    setMessage({ kind: 'ok', text: 'Testing…' });
    try {
      const check = await request<BackendCheck>(`/api/admin/backends/${kind}/test`, {
        method: 'POST',
        body: choice(),
      });
      setMessage({ kind: check.ok ? 'ok' : 'error', text: describeCheck(check) });
    } catch (failure) {
      setMessage({ kind: 'error', text: errorMessage(failure) });
    } finally {
      setBusy(false);
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const result = await request<{ view: BackendView; check: BackendCheck }>(
        `/api/admin/backends/${kind}`,
        {
          method: 'PUT',
          body: choice(),
        },
      );
      await load();
      setMessage({
        kind: result.check.ok ? 'ok' : 'error',
        text: `Saved: ${kind} now runs on ${titleOf(result.view, result.view.backend)}. ${describeCheck(result.check)}`,
      });
      onSaved();
    } catch (failure) {
      setMessage({ kind: 'error', text: errorMessage(failure) });
    } finally {
      setBusy(false);
    }
  };

  const pinned = view.pinnedBy !== null;
  return (
    <form className="card section stack" onSubmit={save} autoComplete="off" aria-label={`Backend of ${kind}`}>
      <h2>System: {kind}</h2>
      <p className="muted">
        Runs on <strong>{titleOf(view, view.backend)}</strong>
        {view.updatedBy ? ` (chosen by ${view.updatedBy}, ${formatDateTime(view.updatedAt)})` : ''}. Switching
        keeps the other system's data and settings.
      </p>
      {pinned && <p className="banner">Set by {view.pinnedBy} in the server's environment.</p>}
      <label>
        Backend
        <select
          value={backend}
          disabled={pinned}
          onChange={(event) => {
            setBackend(event.target.value);
            setValues({});
            setMessage(null);
          }}
        >
          <option value="builtin">Built-in (Switchboard's own tables)</option>
          {view.options.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.title}
            </option>
          ))}
        </select>
      </label>
      {option?.fields.map((field) => {
        const id = `backend-${kind}-${field.name}`;
        const control = {
          id,
          disabled: !editable(field),
          'aria-describedby': `${id}-help`,
          value: values[field.name] ?? (field.secret ? '' : (field.value ?? '')),
          onChange: (event: { target: { value: string } }) =>
            setValues((current) => ({ ...current, [field.name]: event.target.value })),
        };
        return (
          <div key={field.name} className="stack">
            <label htmlFor={id}>
              {field.label}
              {field.required ? '' : ' (optional)'}
              {field.source === 'environment' ? (
                <span className="muted"> — set by {field.env}</span>
              ) : field.secret && field.source === 'stored' ? (
                <span className="muted"> — stored; enter a value to replace it</span>
              ) : null}
            </label>
            {field.name === 'service_account_key' ? (
              <textarea rows={3} {...control} />
            ) : (
              <input
                type={field.secret ? 'password' : 'text'}
                autoComplete={field.secret ? 'new-password' : 'off'}
                {...control}
              />
            )}
            <span id={`${id}-help`} className="muted">
              {field.help}
            </span>
          </div>
        );
      })}
      <div className="button-row">
        <button type="button" disabled={busy || backend === 'builtin'} onClick={() => void test()}>
          Test connection
        </button>
        <button type="submit" disabled={busy || (pinned && backend === view.backend && !option)}>
          Save and switch
        </button>
      </div>
      {message && (
        <p role="status" className={message.kind === 'error' ? 'banner banner-error' : 'muted'}>
          {message.text}
        </p>
      )}
      {kind === 'crm' && backend === 'hubspot' && view.backend === 'hubspot' && <HubSpotConnect />}
    </form>
  );
}

/** What `GET /api/admin/oauth/hubspot` answers: whether HubSpot's OAuth app is connected (never a token). */
interface HubSpotOAuthStatus {
  configured: boolean;
  connected: boolean;
  connectedAt: string | null;
  active: boolean;
}

/**
 * "Connect HubSpot" (the OAuth app's authorization-code flow): starts it (the server keeps a one-time
 * state and answers HubSpot's install URL), and when HubSpot sends the admin back here with `code`
 * and `state`, posts them to the callback with this session, then removes them from the address.
 */
function HubSpotConnect() {
  const { request } = useStaffSession();
  const [status, setStatus] = useState<HubSpotOAuthStatus | null>(null);
  const [note, setNote] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    const code = params.get('code');
    const state = params.get('state');
    const finish = async () => {
      if (code && state) {
        for (const name of ['code', 'state', 'connect']) params.delete(name);
        const rest = params.toString();
        window.history.replaceState(null, '', `${window.location.pathname}${rest ? `?${rest}` : ''}`);
        try {
          setStatus(
            await request<HubSpotOAuthStatus>('/api/admin/oauth/hubspot/callback', {
              method: 'POST',
              body: { code, state },
            }),
          );
          setNote({ kind: 'ok', text: 'HubSpot connected.' });
        } catch (failure) {
          setNote({ kind: 'error', text: errorMessage(failure) });
        }
      }
      setStatus(await request<HubSpotOAuthStatus>('/api/admin/oauth/hubspot'));
    };
    finish().catch((failure: unknown) => setNote({ kind: 'error', text: errorMessage(failure) }));
  }, [request]);

  const connect = async () => {
    setBusy(true);
    try {
      const { authorizeUrl } = await request<{ authorizeUrl: string }>('/api/admin/oauth/hubspot/start', {
        method: 'POST',
        body: {},
      });
      window.location.assign(authorizeUrl);
    } catch (failure) {
      setNote({ kind: 'error', text: errorMessage(failure) });
      setBusy(false);
    }
  };

  const disconnect = async () => {
    setBusy(true);
    try {
      const answer = await request<HubSpotOAuthStatus & { revocation: string }>('/api/admin/oauth/hubspot', {
        method: 'DELETE',
      });
      setStatus(answer);
      setNote(
        answer.revocation === 'failed'
          ? {
              kind: 'error',
              text: 'Disconnected here, but HubSpot could not be reached to delete the refresh token: uninstall the app in HubSpot (Settings → Integrations → Connected apps).',
            }
          : { kind: 'ok', text: 'HubSpot disconnected: the refresh token was deleted at HubSpot and here.' },
      );
    } catch (failure) {
      setNote({ kind: 'error', text: errorMessage(failure) });
    } finally {
      setBusy(false);
    }
  };

  if (!status?.configured) return null;
  return (
    <section className="stack" aria-label="HubSpot OAuth connection">
      <p className="muted">
        OAuth app:{' '}
        {status.connected ? (
          <strong>connected{status.connectedAt ? ` (${formatDateTime(status.connectedAt)})` : ''}</strong>
        ) : (
          <strong>not connected</strong>
        )}
      </p>
      <div className="button-row">
        <button type="button" disabled={busy} onClick={() => void connect()}>
          {status.connected ? 'Reconnect HubSpot' : 'Connect HubSpot'}
        </button>
        {status.connected && (
          <button type="button" disabled={busy} onClick={() => void disconnect()}>
            Disconnect
          </button>
        )}
      </div>
      {note && (
        <p role="status" className={note.kind === 'error' ? 'banner banner-error' : 'muted'}>
          {note.text}
        </p>
      )}
    </section>
  );
}

function titleOf(view: BackendView, backend: string): string {
  if (backend === 'builtin') return 'the built-in backend';
  return view.options.find((option) => option.id === backend)?.title ?? backend;
}
