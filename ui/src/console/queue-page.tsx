import { useCallback, useEffect, useRef, useState } from 'react';
import type { QueueItem, QueueResponse } from '../../../api/contract/console.ts';
import type { ConsoleEvent } from '../../../api/contract/events.ts';
import { escalationReasons, priorities, type QueueSort } from '../../../api/contract/values.ts';
import { useEventStream } from '../shared/event-stream.ts';
import { formatWaiting, humanize, priorityRank } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { linkHandler } from '../shared/router.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

/** Who is waiting: their name or email, or null for an anonymous visitor. */
const customerName = (item: QueueItem): string | null => item.customer.name ?? item.customer.email;

/** Most urgent first: priority, then the longest wait. */
export function byUrgency(a: QueueItem, b: QueueItem): number {
  const rank = (priorityRank[a.priority] ?? 9) - (priorityRank[b.priority] ?? 9);
  return rank !== 0 ? rank : Date.parse(a.createdAt) - Date.parse(b.createdAt);
}

/** The queue's orders, as the server sorts them (`?sort=`), so a live reload keeps the order. */
const queueOrders: Record<QueueSort, { label: string; compare(a: QueueItem, b: QueueItem): number }> = {
  urgency: { label: 'Most urgent first', compare: byUrgency },
  oldest: { label: 'Oldest first', compare: (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) },
  newest: { label: 'Newest first', compare: (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) },
};

const priorityBadge: Record<string, string> = {
  urgent: 'badge-error',
  high: 'badge-warn',
  normal: '',
  low: '',
};

/** The escalation queue, filtered, sorted (by urgency unless asked otherwise), refreshed live. */
export function QueuePage() {
  const { request, me } = useStaffSession();
  const [status, setStatus] = useState('open,claimed');
  const [reason, setReason] = useState('');
  const [priority, setPriority] = useState('');
  const [mine, setMine] = useState(false);
  const [sort, setSort] = useState<QueueSort>('urgency');
  const [items, setItems] = useState<QueueItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [now, setNow] = useState(Date.now());

  const load = useCallback(async () => {
    const query = new URLSearchParams({ status, sort });
    if (reason) query.set('reason', reason);
    if (priority) query.set('priority', priority);
    if (mine) query.set('mine', 'true');
    try {
      const data = await request<QueueResponse>(`/api/console/escalations?${query}`);
      setItems([...data.escalations].sort(queueOrders[sort].compare));
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setLoaded(true);
    }
  }, [request, status, reason, priority, mine, sort]);

  useEffect(() => {
    void load();
  }, [load]);
  // Waiting times tick while the page is open.
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 15_000);
    return () => window.clearInterval(timer);
  }, []);

  // Bursts of events (a turn stores several messages) reload the queue once.
  const reloadTimer = useRef<number | undefined>(undefined);
  const live = useEventStream('/api/console/events', {
    types: ['escalation', 'message', 'status'],
    onEvent: ({ type, data }) => {
      const kind = (data as ConsoleEvent | null)?.kind ?? type;
      if (kind !== 'escalation' && kind !== 'status') return;
      window.clearTimeout(reloadTimer.current);
      reloadTimer.current = window.setTimeout(() => void load(), 300);
    },
    onReconnect: () => void load(),
  });

  return (
    <>
      <h1>Escalation queue</h1>
      <p className="muted" aria-live="polite">
        {live === 'open' ? 'Live: new escalations appear automatically.' : 'Reconnecting to live updates…'}
      </p>
      <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filters">
        <label>
          Status
          <select value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="open,claimed">Open and claimed</option>
            <option value="open">Open</option>
            <option value="claimed">Claimed</option>
            <option value="resolved,handed_back">Closed</option>
          </select>
        </label>
        <label>
          Reason
          <select value={reason} onChange={(event) => setReason(event.target.value)}>
            <option value="">Any reason</option>
            {escalationReasons.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={priority} onChange={(event) => setPriority(event.target.value)}>
            <option value="">Any priority</option>
            {priorities.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort
          <select value={sort} onChange={(event) => setSort(event.target.value as QueueSort)}>
            {Object.entries(queueOrders).map(([value, order]) => (
              <option key={value} value={value}>
                {order.label}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={mine} onChange={(event) => setMine(event.target.checked)} />
          Only mine ({me.name})
        </label>
      </form>
      {error && (
        <p className="banner banner-error" role="alert">
          Could not load the queue: {error}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <caption className="sr-only">{`Escalations, ${queueOrders[sort].label.toLowerCase()}`}</caption>
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">Reason</th>
              <th scope="col">Customer</th>
              <th scope="col">Waiting</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => {
              const href = `/console/escalations/${encodeURIComponent(item.id)}`;
              return (
                <tr key={item.id} className="row-link">
                  <td>
                    <span className={`badge ${priorityBadge[item.priority] ?? ''}`}>
                      {humanize(item.priority)}
                    </span>
                    {item.slaBreached && <span className="badge badge-error"> SLA breached</span>}
                  </td>
                  <td>
                    <a href={href} onClick={linkHandler(href)}>
                      {humanize(item.reason)}
                    </a>
                  </td>
                  <td>{customerName(item) ?? <span className="muted">Anonymous visitor</span>}</td>
                  <td>{item.createdAt ? formatWaiting(item.createdAt, now) : '—'}</td>
                  <td>
                    {humanize(item.status)}
                    {item.claimedBy && <span className="muted"> by {item.claimedBy.name}</span>}
                  </td>
                </tr>
              );
            })}
            {loaded && items.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  Nothing waiting. New escalations appear here as they happen.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
