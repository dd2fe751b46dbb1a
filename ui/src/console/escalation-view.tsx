import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useEventStream } from '../shared/event-stream.ts';
import { formatDate, formatDateTime, formatWaiting, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { KeyValue } from '../shared/key-value.tsx';
import { linkHandler } from '../shared/router.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { type EscalationDetail, readEscalationDetail } from './console-types.ts';
import { PacketView, PendingActionCard } from './packet-view.tsx';

const roleLabels: Record<string, string> = {
  customer: 'Customer',
  agent: 'Assistant',
  human: 'Support team',
  system: 'System',
};

/** One escalation: transcript, reply box, packet with the pending action, customer panel. */
export function EscalationView({ escalationId }: { escalationId: string }) {
  const { request } = useStaffSession();
  const [detail, setDetail] = useState<EscalationDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [reply, setReply] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const next = readEscalationDetail(
        await request(`/api/console/escalations/${encodeURIComponent(escalationId)}`),
      );
      setDetail(next);
      // The reply box starts from the packet's suggested reply, once; the agent's edits are kept.
      setReply((current) => current ?? next.packet?.suggestedReply ?? '');
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request, escalationId]);

  useEffect(() => {
    void load();
  }, [load]);

  const conversationId = detail?.item.conversationId;
  useEventStream('/api/console/events', {
    types: ['escalation', 'message', 'status'],
    onEvent: ({ data }) => {
      const event = (data ?? {}) as { conversationId?: string; escalationId?: string };
      if (event.conversationId === conversationId || event.escalationId === escalationId) void load();
    },
    onReconnect: () => void load(),
  });

  const act = async (label: string, url: string, body: object = {}) => {
    setBusy(true);
    setNotice(null);
    try {
      await request(url, { method: 'POST', body });
      setNotice(label);
      await load();
      return true;
    } catch (failure) {
      setNotice(`Failed: ${errorMessage(failure)}`);
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (error && !detail) {
    return (
      <p className="banner banner-error" role="alert">
        Could not load this escalation: {error}
      </p>
    );
  }
  if (!detail) return <p className="page-status">Loading…</p>;

  const { item, packet } = detail;
  const escalationUrl = `/api/console/escalations/${encodeURIComponent(item.id)}`;
  const conversationUrl = `/api/console/conversations/${encodeURIComponent(item.conversationId)}`;
  const closed = item.status === 'resolved' || item.status === 'handed_back';

  const sendReply = async (event: FormEvent) => {
    event.preventDefault();
    if (!reply?.trim()) return;
    if (await act('Reply sent.', `${conversationUrl}/replies`, { text: reply.trim() })) setReply('');
  };

  return (
    <>
      <p>
        <a href="/console" onClick={linkHandler('/console')}>
          ← Back to the queue
        </a>
      </p>
      <h1>
        {humanize(item.reason)} <span className="badge">{humanize(item.priority)}</span>
      </h1>
      <p className="muted">
        {humanize(item.status)}
        {item.claimedBy ? ` by ${item.claimedBy}` : ''} · opened {formatDateTime(item.createdAt)}
        {!closed && item.createdAt ? ` · waiting ${formatWaiting(item.createdAt)}` : ''}
      </p>
      <div className="button-row section">
        {item.status === 'open' && (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => void act('Claimed.', `${escalationUrl}/claim`)}
          >
            Claim
          </button>
        )}
        {!closed && (
          <>
            <button
              type="button"
              disabled={busy}
              onClick={() => void act('Resolved.', `${escalationUrl}/resolve`)}
            >
              Resolve
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => void act('Handed back to the assistant.', `${escalationUrl}/hand-back`)}
            >
              Hand back to the assistant
            </button>
          </>
        )}
      </div>
      <p role="status" aria-live="polite" className={notice?.startsWith('Failed') ? 'error' : 'muted'}>
        {notice}
      </p>
      <div className="columns">
        <div>
          <section className="card section" aria-labelledby="transcript-heading">
            <h2 id="transcript-heading">Transcript</h2>
            <ol className="transcript" aria-live="polite">
              {detail.transcript.map((entry) => (
                <li key={entry.id} className={`from-${entry.role}`}>
                  <span className="who">
                    {roleLabels[entry.role] ?? humanize(entry.role)}
                    {entry.at && <span className="muted"> · {formatDateTime(entry.at)}</span>}
                  </span>
                  {entry.text}
                </li>
              ))}
            </ol>
          </section>
          {!closed && (
            <form className="card section stack reply-box" onSubmit={sendReply}>
              <label>
                Reply to the customer
                <textarea value={reply ?? ''} onChange={(event) => setReply(event.target.value)} />
              </label>
              <div className="button-row">
                <button type="submit" className="primary" disabled={busy || !reply?.trim()}>
                  Send reply
                </button>
              </div>
            </form>
          )}
        </div>
        <div>
          {packet?.pendingAction && !closed && (
            <PendingActionCard
              action={packet.pendingAction}
              busy={busy}
              onDecide={(approved, note) =>
                void act(
                  approved ? 'Approved: the assistant carries it out.' : 'Denied.',
                  `${conversationUrl}/approval`,
                  {
                    approved,
                    ...(note ? { note } : {}),
                  },
                )
              }
            />
          )}
          {packet && <PacketView packet={packet} />}
          <section className="card section" aria-labelledby="customer-heading">
            <h2 id="customer-heading">Customer</h2>
            {detail.customerPanel ? (
              <CustomerPanel panel={detail.customerPanel} />
            ) : (
              <p className="muted">Anonymous visitor.</p>
            )}
          </section>
        </div>
      </div>
    </>
  );
}

/** CRM (contact, account), subscription, invoices and tickets (`customerPanelSchema`). */
function CustomerPanel({ panel }: { panel: Record<string, unknown> }) {
  const invoices = Array.isArray(panel.invoices) ? (panel.invoices as Array<Record<string, unknown>>) : null;
  const tickets = Array.isArray(panel.tickets) ? (panel.tickets as Array<Record<string, unknown>>) : null;
  const rest = Object.entries(panel).filter(([key]) => key !== 'invoices' && key !== 'tickets');
  return (
    <>
      {rest.map(([key, value]) => (
        <div key={key}>
          <h3>{humanize(key)}</h3>
          <KeyValue value={value} />
        </div>
      ))}
      {invoices && (
        <>
          <h3>Invoices</h3>
          {invoices.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Invoice</th>
                    <th scope="col">Amount</th>
                    <th scope="col">Status</th>
                    <th scope="col">Issued</th>
                  </tr>
                </thead>
                <tbody>
                  {invoices.map((invoice) => (
                    <tr key={String(invoice.id)}>
                      <td>{String(invoice.id)}</td>
                      <td>{formatMoney(invoice.amountCents, invoice.currency)}</td>
                      <td>{humanize(String(invoice.status ?? ''))}</td>
                      <td>{formatDate(invoice.issuedAt as string)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {tickets && (
        <>
          <h3>Tickets</h3>
          {tickets.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="plain-list">
              {tickets.map((ticket) => (
                <li key={String(ticket.id)}>
                  <strong>{String(ticket.id)}</strong> {String(ticket.subject ?? '')}{' '}
                  <span className="muted">
                    ({humanize(String(ticket.status ?? ''))}, {String(ticket.priority ?? '')})
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </>
  );
}

function formatMoney(cents: unknown, currency: unknown): string {
  if (typeof cents !== 'number') return '—';
  const code = typeof currency === 'string' ? currency.toUpperCase() : 'USD';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${code}`;
  }
}
