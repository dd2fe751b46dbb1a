import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

type GoogleFeature = 'gmail_channel' | 'gmail_send' | 'calendar' | 'drive';

/** What `GET /api/admin/google` answers (never a token, a key or the client secret). */
interface GoogleStatus {
  configured: boolean;
  client: { clientId: string | null; redirectUrl: string | null; fromEnvironment: boolean };
  mode: 'oauth' | 'service_account' | 'none';
  connected: boolean;
  account: string | null;
  features: GoogleFeature[];
  featureStates: Array<{ feature: GoogleFeature; granted: boolean; scopes: string[] }>;
  state: string;
  detail: string | null;
  lastError: { kind: string; message: string; at: string; fatal: boolean } | null;
}

const featureLabels: Record<GoogleFeature, string> = {
  gmail_channel: 'Gmail channel (read the support mailbox, reply in its threads)',
  gmail_send: 'Gmail sending only (confirmation emails)',
  calendar: 'Calendar (engineers’ free/busy and bookings)',
  drive: 'Drive knowledge sync (read-only)',
};

type Note = { kind: 'ok' | 'error'; text: string } | null;

/**
 * `/admin/google`: the Google Workspace connection every Google feature uses. "Connect Google" asks
 * the server for Google's consent URL for the ticked features (the server keeps the one-time state and
 * the PKCE verifier); Google sends the admin back to `/admin/google/callback?code=…&state=…`, which
 * this page posts to the callback with the session, then removes from the address.
 */
export function GooglePage() {
  const { request } = useStaffSession();
  const [status, setStatus] = useState<GoogleStatus | null>(null);
  const [chosen, setChosen] = useState<Set<GoogleFeature>>(new Set(['calendar']));
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  const [client, setClient] = useState({ clientId: '', clientSecret: '', redirectUrl: '' });
  const [serviceAccount, setServiceAccount] = useState({ key: '', subject: '' });

  const load = useCallback(async () => {
    const answer = await request<GoogleStatus>('/api/admin/google');
    setStatus(answer);
    if (answer.features.length > 0) setChosen(new Set(answer.features));
    setClient((current) => ({
      ...current,
      clientId: current.clientId || answer.client.clientId || '',
      redirectUrl:
        current.redirectUrl || answer.client.redirectUrl || `${window.location.origin}/admin/google/callback`,
    }));
  }, [request]);

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    const code = params.get('code');
    const state = params.get('state');
    const refused = params.get('error');
    const finish = async () => {
      if (code || refused) window.history.replaceState(null, '', '/admin/google');
      if (refused) setNote({ kind: 'error', text: `Google did not connect: ${refused}` });
      if (code && state) {
        try {
          await request<GoogleStatus>('/api/admin/google/callback', {
            method: 'POST',
            body: { code, state },
          });
          setNote({ kind: 'ok', text: 'Google Workspace connected.' });
        } catch (failure) {
          setNote({ kind: 'error', text: errorMessage(failure) });
        }
      }
      await load();
    };
    finish().catch((failure: unknown) => setNote({ kind: 'error', text: errorMessage(failure) }));
  }, [request, load]);

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch (failure) {
      setNote({ kind: 'error', text: errorMessage(failure) });
    } finally {
      setBusy(false);
    }
  };

  const connect = () =>
    act(async () => {
      const { authorizeUrl } = await request<{ authorizeUrl: string }>('/api/admin/google/connect', {
        method: 'POST',
        body: { features: [...chosen] },
      });
      window.location.assign(authorizeUrl);
    });

  const disconnect = () =>
    act(async () => {
      const answer = await request<GoogleStatus & { revocation: string }>('/api/admin/google', {
        method: 'DELETE',
      });
      setStatus(answer);
      setNote(
        answer.revocation === 'failed'
          ? {
              kind: 'error',
              text: 'Disconnected here, but Google could not be reached to revoke the grant: remove Switchboard under the account’s “Third-party apps with account access”.',
            }
          : { kind: 'ok', text: 'Google Workspace disconnected.' },
      );
    });

  const test = () =>
    act(async () => {
      const answer = await request<{
        ok: boolean;
        results: Array<{ feature: string; ok: boolean; detail: string }>;
      }>('/api/admin/google/test', { method: 'POST' });
      setNote({
        kind: answer.ok ? 'ok' : 'error',
        text: answer.results.length
          ? answer.results
              .map((result) => `${result.feature}: ${result.ok ? 'ok' : 'failed'} — ${result.detail}`)
              .join('; ')
          : 'No feature is connected.',
      });
    });

  const saveClient = () =>
    act(async () => {
      setStatus(
        await request<GoogleStatus>('/api/admin/google/oauth-client', {
          method: 'PUT',
          body: {
            clientId: client.clientId,
            redirectUrl: client.redirectUrl,
            ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
          },
        }),
      );
      setClient((current) => ({ ...current, clientSecret: '' }));
      setNote({ kind: 'ok', text: 'OAuth client saved.' });
    });

  const saveServiceAccount = () =>
    act(async () => {
      setStatus(
        await request<GoogleStatus>('/api/admin/google/service-account', {
          method: 'PUT',
          body: { key: serviceAccount.key, subject: serviceAccount.subject || null, features: [...chosen] },
        }),
      );
      setServiceAccount({ key: '', subject: '' });
      setNote({ kind: 'ok', text: 'Service account saved.' });
    });

  const toggle = (feature: GoogleFeature) =>
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(feature)) next.delete(feature);
      else next.add(feature);
      return next;
    });

  return (
    <div className="stack">
      <h1>Google Workspace</h1>
      <p className="muted">
        One connection for Gmail, Calendar and Drive. Setup steps: docs/connectors.md, “Google Workspace”.
      </p>
      {status && (
        <section className="stack" aria-label="Google connection status">
          <p>
            Status:{' '}
            <strong data-testid="google-status">
              {status.connected
                ? `connected as ${status.account ?? 'unknown'} (${status.mode === 'oauth' ? 'OAuth' : 'service account'})`
                : 'not connected'}
            </strong>
            {status.state !== 'ok' && status.detail ? ` — ${status.detail}` : ''}
          </p>
          <ul aria-label="Granted features">
            {status.featureStates.map((item) => (
              <li key={item.feature}>
                {featureLabels[item.feature]}: {item.granted ? 'granted' : 'not granted'}
              </li>
            ))}
          </ul>
          {status.lastError && (
            <p className="muted">
              Last token error ({status.lastError.at}): {status.lastError.message}
            </p>
          )}
        </section>
      )}

      <fieldset className="stack">
        <legend>Features</legend>
        {(Object.keys(featureLabels) as GoogleFeature[]).map((feature) => (
          <label key={feature}>
            <input type="checkbox" checked={chosen.has(feature)} onChange={() => toggle(feature)} />{' '}
            {featureLabels[feature]}
          </label>
        ))}
      </fieldset>

      <div className="button-row">
        <button
          type="button"
          disabled={busy || !status?.configured || chosen.size === 0}
          onClick={() => void connect()}
        >
          {status?.connected ? 'Reconnect Google' : 'Connect Google'}
        </button>
        {status?.connected && (
          <>
            <button type="button" disabled={busy} onClick={() => void test()}>
              Test connection
            </button>
            <button type="button" disabled={busy} onClick={() => void disconnect()}>
              Disconnect
            </button>
          </>
        )}
      </div>
      {note && (
        <p role="status" className={note.kind === 'error' ? 'banner banner-error' : 'muted'}>
          {note.text}
        </p>
      )}

      {status && !status.client.fromEnvironment && (
        <form
          className="stack"
          aria-label="OAuth client"
          onSubmit={(event) => {
            event.preventDefault();
            void saveClient();
          }}
        >
          <h2>OAuth client</h2>
          <label>
            Client ID
            <input
              value={client.clientId}
              onChange={(event) => setClient({ ...client, clientId: event.target.value })}
            />
          </label>
          <label>
            Client secret {status.configured ? '(stored; leave empty to keep)' : ''}
            <input
              type="password"
              autoComplete="off"
              value={client.clientSecret}
              onChange={(event) => setClient({ ...client, clientSecret: event.target.value })}
            />
          </label>
          <label>
            Redirect URL (add it to the client’s authorised redirect URIs)
            <input
              value={client.redirectUrl}
              onChange={(event) => setClient({ ...client, redirectUrl: event.target.value })}
            />
          </label>
          <button type="submit" disabled={busy}>
            Save OAuth client
          </button>
        </form>
      )}

      <form
        className="stack"
        aria-label="Service account"
        onSubmit={(event) => {
          event.preventDefault();
          void saveServiceAccount();
        }}
      >
        <h2>Or a service account (domain-wide delegation)</h2>
        <label>
          JSON key (never shown again)
          <textarea
            rows={4}
            autoComplete="off"
            value={serviceAccount.key}
            onChange={(event) => setServiceAccount({ ...serviceAccount, key: event.target.value })}
          />
        </label>
        <label>
          User to act as
          <input
            type="email"
            value={serviceAccount.subject}
            onChange={(event) => setServiceAccount({ ...serviceAccount, subject: event.target.value })}
          />
        </label>
        <button type="submit" disabled={busy || !serviceAccount.key || chosen.size === 0}>
          Use service account for the ticked features
        </button>
      </form>
    </div>
  );
}
