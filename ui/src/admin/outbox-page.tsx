import { useCallback, useEffect, useState } from 'react';
import { formatDateTime, humanize } from '../shared/format.ts';
import { ApiRequestError, asList, errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

interface OutboxEmail {
  id: string;
  to: string;
  subject: string;
  status: string;
  text: string;
  createdAt: string | null;
  lastError: string | null;
}

function readEmail(value: unknown): OutboxEmail {
  const row = (value ?? {}) as Record<string, unknown>;
  return {
    id: String(row.id),
    to: String(row.to ?? row.toAddress ?? row.to_address ?? ''),
    subject: String(row.subject ?? ''),
    status: String(row.status ?? ''),
    text: String(row.text ?? row.textBody ?? row.text_body ?? ''),
    createdAt: (row.createdAt ?? row.created_at ?? null) as string | null,
    lastError: (row.lastError ?? row.last_error ?? null) as string | null,
  };
}

/** The email outbox (embedded mode): what Switchboard sent, e.g. verification codes and confirmations. */
export function OutboxPage() {
  const { request } = useStaffSession();
  const [emails, setEmails] = useState<OutboxEmail[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);

  const load = useCallback(async () => {
    try {
      setEmails(asList(await request('/api/admin/outbox'), 'emails', 'messages').map(readEmail));
      setError(null);
    } catch (failure) {
      if (failure instanceof ApiRequestError && failure.code === 'not_available') setUnavailable(true);
      else setError(errorMessage(failure));
    }
  }, [request]);
  useEffect(() => {
    void load();
  }, [load]);

  if (unavailable) {
    return (
      <>
        <h1>Email outbox</h1>
        <p>The outbox is shown only in embedded mode; in production, mail goes to your mail server.</p>
      </>
    );
  }
  return (
    <>
      <h1>Email outbox</h1>
      <div className="button-row section">
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Sent</th>
              <th scope="col">To</th>
              <th scope="col">Subject and body</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {emails.map((email) => (
              <tr key={email.id}>
                <td>{formatDateTime(email.createdAt)}</td>
                <td>{email.to}</td>
                <td>
                  <details>
                    <summary>{email.subject}</summary>
                    <pre>{email.text}</pre>
                  </details>
                </td>
                <td>
                  {humanize(email.status)}
                  {email.lastError && <div className="error">{email.lastError}</div>}
                </td>
              </tr>
            ))}
            {emails.length === 0 && !error && (
              <tr>
                <td colSpan={4} className="muted">
                  No emails yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
