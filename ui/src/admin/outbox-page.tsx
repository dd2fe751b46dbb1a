import { useCallback, useEffect, useState } from 'react';
import type { OutboxEntry, OutboxResponse } from '../../../api/contract/admin.ts';
import { formatDateTime, humanize } from '../shared/format.ts';
import { ApiRequestError, errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

/** The email outbox (embedded mode): what Switchboard sent, e.g. verification codes and confirmations. */
export function OutboxPage() {
  const { request } = useStaffSession();
  const [emails, setEmails] = useState<OutboxEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);

  const load = useCallback(async () => {
    try {
      setEmails((await request<OutboxResponse>('/api/admin/outbox')).messages);
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
                    <pre>{email.textBody}</pre>
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
