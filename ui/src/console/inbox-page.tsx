import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import type { InboxItem, InboxResponse, StaffResponse } from '../../../api/contract/console-inbox.ts';
import { inboxStates } from '../../../api/contract/console-inbox.ts';
import type { ConsoleEvent } from '../../../api/contract/events.ts';
import { escalationReasons, priorities } from '../../../api/contract/values.ts';
import { useEventStream } from '../shared/event-stream.ts';
import { formatDateTime, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { linkHandler, navigate } from '../shared/router.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { useEscalationAlerts } from './escalation-alerts.ts';
import { type ConversationControls, customerLabel, InboxConversationView } from './inbox-conversation.tsx';
import { inboxShortcuts, useInboxShortcuts } from './inbox-keys.ts';
import './inbox.css';

const hrefOf = (conversationId: string) => `/console/inbox/${encodeURIComponent(conversationId)}`;

interface Filters {
  state: string;
  channel: string;
  reason: string;
  priority: string;
  assignee: string;
  from: string;
  to: string;
  unread: boolean;
}

const noFilters: Filters = {
  state: '',
  channel: '',
  reason: '',
  priority: '',
  assignee: '',
  from: '',
  to: '',
  unread: false,
};

/** The query string of the list for the filters and the submitted search. */
function queryOf(filters: Filters, q: string, cursor: string | null): string {
  const query = new URLSearchParams();
  for (const key of ['state', 'channel', 'reason', 'priority', 'assignee'] as const)
    if (filters[key]) query.set(key, filters[key]);
  // Dates are picked as local days: from the start of `from` to the end of `to`.
  if (filters.from) query.set('from', new Date(`${filters.from}T00:00:00`).toISOString());
  if (filters.to)
    query.set('to', new Date(new Date(`${filters.to}T00:00:00`).getTime() + 86_400_000).toISOString());
  if (filters.unread) query.set('unread', 'true');
  if (q) query.set('q', q);
  if (cursor) query.set('cursor', cursor);
  return query.toString();
}

/**
 * The console inbox: every conversation, filtered and searched, with unread counts, live updates
 * (and an alert on a new escalation), keyboard shortcuts, and the open conversation beside the list.
 */
export function InboxPage({ conversationId }: { conversationId: string | null }) {
  const { request, me } = useStaffSession();
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [items, setItems] = useState<InboxItem[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [unread, setUnread] = useState<InboxResponse['unread'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [staff, setStaff] = useState<StaffResponse | null>(null);
  const [help, setHelp] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  const [arrived, setArrived] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const controls = useRef<ConversationControls>(null);
  const alerts = useEscalationAlerts();

  const load = useCallback(
    async (cursor: string | null = null) => {
      try {
        const data = await request<InboxResponse>(`/api/console/inbox?${queryOf(filters, q, cursor)}`);
        setItems((current) => (cursor ? [...current, ...data.conversations] : data.conversations));
        setNextCursor(data.nextCursor);
        setUnread(data.unread);
        setError(null);
      } catch (failure) {
        setError(errorMessage(failure));
      } finally {
        setLoaded(true);
      }
    },
    [request, filters, q],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const loadStaff = useCallback(() => {
    request<StaffResponse>('/api/console/inbox/staff')
      .then(setStaff)
      .catch(() => setStaff(null));
  }, [request]);
  useEffect(() => {
    loadStaff();
    // Presence changes as colleagues come and go.
    const timer = window.setInterval(loadStaff, 60_000);
    return () => window.clearInterval(timer);
  }, [loadStaff]);

  const reloadTimer = useRef<number | undefined>(undefined);
  const live = useEventStream('/api/console/events', {
    types: ['escalation', 'message', 'status'],
    onEvent: ({ type, data }) => {
      const event = data as ConsoleEvent | null;
      const kind = event?.kind ?? type;
      if (kind === 'escalation' && event && 'change' in event && event.change === 'opened') {
        const text = 'A conversation was escalated to your team.';
        setArrived(`New escalation at ${new Date().toLocaleTimeString()}.`);
        alerts.alert('New escalation', text, () => navigate(hrefOf(event.conversationId)));
      }
      if (event && 'conversationId' in event && event.conversationId === conversationId)
        setRefreshKey((key) => key + 1);
      window.clearTimeout(reloadTimer.current);
      reloadTimer.current = window.setTimeout(() => void load(), 300);
    },
    onReconnect: () => void load(),
  });

  // Once our own stream is open we are online too: refresh the presence shown.
  useEffect(() => {
    if (live === 'open') loadStaff();
  }, [live, loadStaff]);

  const selected = conversationId ? items.findIndex((item) => item.conversationId === conversationId) : -1;
  useInboxShortcuts((key) => {
    if (key === 'Escape') {
      if (help) setHelp(false);
      else if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
      return;
    }
    if (key === '?') setHelp((open) => !open);
    else if (key === '/') searchRef.current?.focus();
    else if (key === 'j' || key === 'k') {
      const next = Math.min(Math.max(selected + (key === 'j' ? 1 : -1), 0), items.length - 1);
      const item = items[selected === -1 ? 0 : next];
      if (item) navigate(hrefOf(item.conversationId));
    } else if (key === 'a') controls.current?.focusAssign();
    else if (key === 'r') controls.current?.focusReply();
    else if (key === 'n') controls.current?.focusNote();
    else if (key === 'c') controls.current?.claim();
  });

  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setQ(search.trim());
  };
  const setFilter = <K extends keyof Filters>(key: K, value: Filters[K]) =>
    setFilters((current) => ({ ...current, [key]: value }));

  return (
    <>
      <div className="button-row">
        <h1>Inbox</h1>
        {unread && (
          <span className="muted">
            <span className="badge">{unread.conversations} unread</span>{' '}
            <span className="badge">{unread.mine} unread of mine</span>{' '}
            <span className={`badge ${unread.mentions ? 'badge-warn' : ''}`}>{unread.mentions} mentions</span>
          </span>
        )}
        <button type="button" onClick={() => setHelp(true)}>
          Keyboard shortcuts (?)
        </button>
        {alerts.permission !== 'unsupported' && (
          <button type="button" onClick={() => void alerts.enable()} disabled={alerts.enabled}>
            {alerts.enabled
              ? alerts.permission === 'granted'
                ? 'Escalation alerts on'
                : 'Sound alerts on (notifications blocked)'
              : 'Turn on escalation alerts'}
          </button>
        )}
      </div>
      <p className="muted" aria-live="polite">
        {live === 'open' ? 'Live.' : 'Reconnecting to live updates…'} {arrived}
      </p>
      <form className="filters" onSubmit={submitSearch} aria-label="Search">
        <label>
          Search conversations
          <input
            ref={searchRef}
            type="search"
            value={search}
            maxLength={200}
            placeholder='words, "a phrase", -exclude'
            onChange={(event) => setSearch(event.target.value)}
          />
        </label>
        <div className="button-row">
          <button type="submit">Search</button>
          {q && (
            <button
              type="button"
              onClick={() => {
                setSearch('');
                setQ('');
              }}
            >
              Clear search
            </button>
          )}
        </div>
      </form>
      <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filters">
        <label>
          State
          <select value={filters.state} onChange={(event) => setFilter('state', event.target.value)}>
            <option value="">Any state</option>
            {inboxStates.map((value) => (
              <option key={value} value={value}>
                {value === 'agent' ? 'With the assistant' : humanize(value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Channel
          <select value={filters.channel} onChange={(event) => setFilter('channel', event.target.value)}>
            <option value="">Any channel</option>
            <option value="chat">Chat</option>
            <option value="email">Email</option>
          </select>
        </label>
        <label>
          Reason
          <select value={filters.reason} onChange={(event) => setFilter('reason', event.target.value)}>
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
          <select value={filters.priority} onChange={(event) => setFilter('priority', event.target.value)}>
            <option value="">Any priority</option>
            {priorities.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <select value={filters.assignee} onChange={(event) => setFilter('assignee', event.target.value)}>
            <option value="">Anyone</option>
            <option value="me">Me ({me.name})</option>
            <option value="none">Nobody</option>
            {staff?.staff
              .filter((person) => person.id !== me.id)
              .map((person) => (
                <option key={person.id} value={person.id}>
                  {person.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          Started from
          <input
            type="date"
            value={filters.from}
            onChange={(event) => setFilter('from', event.target.value)}
          />
        </label>
        <label>
          Started until
          <input type="date" value={filters.to} onChange={(event) => setFilter('to', event.target.value)} />
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={filters.unread}
            onChange={(event) => setFilter('unread', event.target.checked)}
          />
          Unread only
        </label>
      </form>
      {error && (
        <p className="banner banner-error" role="alert">
          Could not load the inbox: {error}
        </p>
      )}
      <div className="inbox-layout">
        <nav aria-label="Conversation list">
          <ul className="plain-list inbox-list" aria-label="Conversations">
            {items.map((item, index) => {
              const href = hrefOf(item.conversationId);
              const current = index === selected;
              return (
                <li key={item.conversationId} className={current ? 'inbox-current' : ''}>
                  <a href={href} onClick={linkHandler(href)} aria-current={current ? 'true' : undefined}>
                    <strong>{customerLabel(item)}</strong>
                  </a>{' '}
                  <span className="badge">
                    {item.state === 'agent' ? 'With the assistant' : humanize(item.state)}
                  </span>
                  {item.escalation?.priority && item.state !== 'agent' && item.state !== 'resolved' && (
                    <span className={`badge ${item.escalation.priority === 'urgent' ? 'badge-error' : ''}`}>
                      {humanize(item.escalation.priority)}
                    </span>
                  )}
                  {item.escalation?.slaBreached && item.state === 'escalated' && (
                    <span className="badge badge-error">SLA breached</span>
                  )}
                  {item.unread > 0 && <span className="badge badge-warn">{item.unread} unread</span>}
                  {item.unreadMentions > 0 && <span className="badge badge-warn">@ you</span>}
                  <br />
                  <span className="muted">
                    {humanize(item.channel)} · {item.assignee ? item.assignee.name : 'unassigned'}
                    {item.team ? ` · ${item.team.name}` : ''}
                    {item.lastMessage ? ` · ${formatDateTime(item.lastMessage.at)}` : ''}
                  </span>
                  <br />
                  <span className="inbox-snippet">{item.match ?? item.lastMessage?.text ?? ''}</span>
                </li>
              );
            })}
          </ul>
          {loaded && items.length === 0 && (
            <p className="muted">{q ? `No conversation mentions “${q}”.` : 'No conversations match.'}</p>
          )}
          {nextCursor && (
            <button type="button" onClick={() => void load(nextCursor)}>
              Load more
            </button>
          )}
        </nav>
        <div>
          {conversationId ? (
            <InboxConversationView
              key={conversationId}
              ref={controls}
              conversationId={conversationId}
              staff={staff}
              refreshKey={refreshKey}
              onChanged={() => void load()}
            />
          ) : (
            <p className="muted">Pick a conversation (or press j). Press ? for the keyboard shortcuts.</p>
          )}
        </div>
      </div>
      {help && (
        <div className="inbox-help" role="dialog" aria-modal="false" aria-labelledby="inbox-help-heading">
          <h2 id="inbox-help-heading">Keyboard shortcuts</h2>
          <p className="muted">They work anywhere on the page except while typing in a field.</p>
          <dl className="key-value">
            {inboxShortcuts.map((shortcut) => (
              <div key={shortcut.key} style={{ display: 'contents' }}>
                <dt>
                  <kbd>{shortcut.key}</kbd>
                </dt>
                <dd>{shortcut.label}</dd>
              </div>
            ))}
          </dl>
          <button type="button" onClick={() => setHelp(false)}>
            Close
          </button>
        </div>
      )}
    </>
  );
}
