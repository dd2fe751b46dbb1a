import {
  type FormEvent,
  forwardRef,
  useCallback,
  useEffect,
  useImperativeHandle,
  useRef,
  useState,
} from 'react';
import type {
  CannedRepliesResponse,
  CannedReply,
  InboxConversation,
  InboxItem,
  RenderedReply,
  Sidebar,
  StaffResponse,
} from '../../../api/contract/console-inbox.ts';
import { formatDateTime, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { linkHandler } from '../shared/router.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { CustomerDetails } from './escalation-view.tsx';

const roleLabels: Record<string, string> = {
  customer: 'Customer',
  agent: 'Assistant',
  human: 'Support team',
  system: 'System (team only)',
};

/** What the inbox's shortcuts do in the open conversation. */
export interface ConversationControls {
  focusAssign(): void;
  focusReply(): void;
  focusNote(): void;
  claim(): void;
}

/** "in 4 min" / "3 min overdue": an SLA deadline against now. */
export function slaLabel(dueAt: string, now: number): string {
  const minutes = Math.round((Date.parse(dueAt) - now) / 60_000);
  if (minutes >= 0) return `SLA: ${minutes} min left`;
  return `SLA: ${-minutes} min overdue`;
}

/**
 * One conversation in the inbox: transcript, reply (with canned replies) and internal notes (with
 * @mentions) in two tabs, assignment, claim/release/resolve, and the customer sidebar.
 */
export const InboxConversationView = forwardRef<
  ConversationControls,
  { conversationId: string; staff: StaffResponse | null; refreshKey: number; onChanged(): void }
>(function InboxConversationView({ conversationId, staff, refreshKey, onChanged }, ref) {
  const { request, me } = useStaffSession();
  const [view, setView] = useState<InboxConversation | null>(null);
  const [sidebar, setSidebar] = useState<Sidebar | null>(null);
  const [canned, setCanned] = useState<CannedReply[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState<'reply' | 'note'>('reply');
  const [reply, setReply] = useState('');
  const [note, setNote] = useState('');
  const [assignTo, setAssignTo] = useState('');
  const [now, setNow] = useState(Date.now());
  const assignRef = useRef<HTMLSelectElement>(null);
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const base = `/api/console/inbox/conversations/${encodeURIComponent(conversationId)}`;

  const load = useCallback(async () => {
    try {
      const next = await request<InboxConversation>(base);
      setView(next);
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request, base]);

  // refreshKey: the inbox saw a live event for this conversation.
  useEffect(() => {
    void refreshKey;
    void load();
  }, [load, refreshKey]);
  useEffect(() => {
    setSidebar(null);
    setReply('');
    setNote('');
    setNotice(null);
    request<Sidebar>(`${base}/sidebar`)
      .then(setSidebar)
      .catch((failure: unknown) => setNotice(`Failed to load the customer: ${errorMessage(failure)}`));
  }, [request, base]);
  useEffect(() => {
    request<CannedRepliesResponse>('/api/console/canned-replies')
      .then((data) => setCanned(data.cannedReplies))
      .catch(() => setCanned([]));
  }, [request]);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 15_000);
    return () => window.clearInterval(timer);
  }, []);
  useEffect(() => {
    setAssignTo(
      view?.item.assignee
        ? `human:${view.item.assignee.id}`
        : view?.item.team
          ? `team:${view.item.team.id}`
          : '',
    );
  }, [view?.item.assignee, view?.item.team]);

  const act = async (label: string, url: string, method: 'POST' = 'POST', body: unknown = {}) => {
    setBusy(true);
    try {
      await request(url, { method, body });
      setNotice(label);
      await load();
      onChanged();
      return true;
    } catch (failure) {
      setNotice(`Failed: ${errorMessage(failure)}`);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const claim = () => void act('Claimed: it is yours.', `${base}/claim`);
  useImperativeHandle(ref, () => ({
    focusAssign: () => assignRef.current?.focus(),
    focusReply: () => {
      setTab('reply');
      window.setTimeout(() => replyRef.current?.focus(), 0);
    },
    focusNote: () => {
      setTab('note');
      window.setTimeout(() => noteRef.current?.focus(), 0);
    },
    claim,
  }));

  if (error)
    return (
      <p className="banner banner-error" role="alert">
        Could not load the conversation: {error}
      </p>
    );
  if (!view) return <p className="muted">Loading the conversation…</p>;
  const { item } = view;
  const live = item.escalation && (item.escalation.status === 'open' || item.escalation.status === 'claimed');
  const mine = item.assignee?.id === me.id;

  const assign = (event: FormEvent) => {
    event.preventDefault();
    const [kind, id] = assignTo.split(':');
    const target = kind === 'human' ? id! : null;
    const team = kind === 'team' ? id! : null;
    const who =
      kind === 'human'
        ? (staff?.staff.find((person) => person.id === id)?.name ?? id)
        : kind === 'team'
          ? `team ${staff?.teams.find((entry) => entry.id === id)?.name ?? id}`
          : 'nobody';
    void act(`Assigned to ${who}.`, `${base}/assign`, 'POST', { humanId: target, teamId: team });
  };

  const insertCanned = async (replyId: string) => {
    if (!replyId) return;
    try {
      const rendered = await request<RenderedReply>(`${base}/canned-replies/${encodeURIComponent(replyId)}`);
      setReply(rendered.text);
      setNotice(
        rendered.missing.length
          ? `Canned reply inserted; no value for ${rendered.missing.join(', ')}: check before sending.`
          : 'Canned reply inserted: edit it if you like, then send.',
      );
      setTab('reply');
      window.setTimeout(() => replyRef.current?.focus(), 0);
    } catch (failure) {
      setNotice(`Failed: ${errorMessage(failure)}`);
    }
  };

  const sendReply = async (event: FormEvent) => {
    event.preventDefault();
    if (
      await act(
        'Reply sent.',
        `/api/console/conversations/${encodeURIComponent(conversationId)}/replies`,
        'POST',
        { text: reply },
      )
    )
      setReply('');
  };
  const addNote = async (event: FormEvent) => {
    event.preventDefault();
    if (await act('Note added (team only).', `${base}/notes`, 'POST', { text: note })) setNote('');
  };
  const mention = (handle: string) => {
    setNote((current) => `${current}${current && !current.endsWith(' ') ? ' ' : ''}@${handle} `);
    noteRef.current?.focus();
  };

  return (
    <article aria-labelledby="inbox-conversation-heading" className="stack">
      <h2 id="inbox-conversation-heading">
        {item.customer.name ?? item.customer.email ?? 'Anonymous visitor'}
        <span className="muted"> · {humanize(item.state)}</span>
      </h2>
      <p className="muted">
        {humanize(item.channel)}
        {item.subject ? ` · ${item.subject}` : ''} · {item.customer.verified ? 'verified' : 'not verified'}
        {item.escalation && ` · ${humanize(item.escalation.reason)} (${item.escalation.priority})`}
        {item.escalation?.slaDueAt && item.escalation.status === 'open' && (
          <span className={`badge ${item.escalation.slaBreached ? 'badge-error' : 'badge-warn'}`}>
            {' '}
            {slaLabel(item.escalation.slaDueAt, now)}
          </span>
        )}
      </p>
      <form className="filters" onSubmit={assign} aria-label="Assignment">
        <label>
          Assign to
          <select ref={assignRef} value={assignTo} onChange={(event) => setAssignTo(event.target.value)}>
            <option value="">Nobody</option>
            {staff?.staff.map((person) => (
              <option key={person.id} value={`human:${person.id}`}>
                {person.name}
                {person.id === me.id ? ' (me)' : ''} — {person.presence}
              </option>
            ))}
            {staff?.teams.map((team) => (
              <option key={team.id} value={`team:${team.id}`}>
                Team: {team.name}
              </option>
            ))}
          </select>
        </label>
        <div className="button-row">
          <button type="submit" disabled={busy}>
            Assign
          </button>
          {!mine && item.state !== 'resolved' && (
            <button type="button" disabled={busy} onClick={claim}>
              Claim
            </button>
          )}
          {(mine || (me.role === 'admin' && item.assignee)) && item.state !== 'resolved' && (
            <button type="button" disabled={busy} onClick={() => void act('Released.', `${base}/release`)}>
              Release
            </button>
          )}
          {live && (
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={() =>
                void act(
                  'Resolved.',
                  `/api/console/escalations/${encodeURIComponent(item.escalation!.id)}/resolve`,
                )
              }
            >
              Resolve
            </button>
          )}
        </div>
      </form>
      <p className="muted">
        Assigned to: {item.assignee ? item.assignee.name : 'nobody'}
        {item.team ? ` · team ${item.team.name}` : ''}
      </p>
      <p role="status" aria-live="polite" className={notice?.startsWith('Failed') ? 'error' : 'muted'}>
        {notice}
      </p>
      <div className="columns">
        <div className="stack">
          <section className="card section" aria-labelledby="inbox-transcript-heading">
            <h3 id="inbox-transcript-heading">Transcript</h3>
            <ol className="transcript" aria-label="Transcript">
              {view.transcript.map((entry) => (
                <li key={entry.id} className={`from-${entry.role}`}>
                  <span className="who">
                    {roleLabels[entry.role] ?? humanize(entry.role)}
                    <span className="muted"> · {formatDateTime(entry.createdAt)}</span>
                  </span>
                  {entry.text}
                </li>
              ))}
            </ol>
          </section>
          <section className="card section">
            <div role="tablist" aria-label="Write" className="button-row">
              <button
                type="button"
                role="tab"
                id="tab-reply"
                aria-controls="panel-reply"
                aria-selected={tab === 'reply'}
                className={tab === 'reply' ? 'primary' : ''}
                onClick={() => setTab('reply')}
              >
                Reply
              </button>
              <button
                type="button"
                role="tab"
                id="tab-note"
                aria-controls="panel-note"
                aria-selected={tab === 'note'}
                className={tab === 'note' ? 'primary' : ''}
                onClick={() => setTab('note')}
              >
                Internal note
              </button>
            </div>
            {tab === 'reply' ? (
              <form
                id="panel-reply"
                role="tabpanel"
                aria-labelledby="tab-reply"
                className="stack"
                onSubmit={sendReply}
              >
                <label>
                  Canned reply
                  <select value="" onChange={(event) => void insertCanned(event.target.value)}>
                    <option value="">Insert a canned reply…</option>
                    {canned.map((entry) => (
                      <option key={entry.id} value={entry.id}>
                        {entry.title}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Reply to the customer
                  <textarea ref={replyRef} value={reply} onChange={(event) => setReply(event.target.value)} />
                </label>
                <div className="button-row">
                  <button type="submit" className="primary" disabled={busy || !reply.trim() || !live}>
                    Send reply
                  </button>
                  {!live && (
                    <span className="muted">
                      Replies need an open escalation: the assistant has this one.
                    </span>
                  )}
                </div>
              </form>
            ) : (
              <form
                id="panel-note"
                role="tabpanel"
                aria-labelledby="tab-note"
                className="stack"
                onSubmit={addNote}
              >
                <label>
                  Internal note (only your team sees this)
                  <textarea ref={noteRef} value={note} onChange={(event) => setNote(event.target.value)} />
                </label>
                {staff && (
                  <fieldset className="button-row">
                    <legend>Mention a teammate</legend>
                    {staff.staff
                      .filter((person) => person.id !== me.id)
                      .map((person) => (
                        <button key={person.id} type="button" onClick={() => mention(person.handle)}>
                          @{person.handle}
                        </button>
                      ))}
                  </fieldset>
                )}
                <div className="button-row">
                  <button type="submit" className="primary" disabled={busy || !note.trim()}>
                    Add note
                  </button>
                </div>
              </form>
            )}
          </section>
          <section className="card section" aria-labelledby="inbox-notes-heading">
            <h3 id="inbox-notes-heading">Internal notes (team only)</h3>
            {view.notes.length === 0 ? (
              <p className="muted">No notes yet.</p>
            ) : (
              <ol className="transcript" aria-label="Internal notes">
                {view.notes.map((entry) => (
                  <li key={entry.id} className="from-system">
                    <span className="who">
                      {entry.author?.name ?? 'Former staff member'}
                      <span className="muted"> · {formatDateTime(entry.createdAt)}</span>
                      {entry.mentions.length > 0 && (
                        <span className="muted">
                          {' '}
                          · mentions {entry.mentions.map((person) => person.name).join(', ')}
                        </span>
                      )}
                    </span>
                    {entry.text}
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
        <aside className="card section" aria-labelledby="inbox-customer-heading">
          <h3 id="inbox-customer-heading">Customer</h3>
          {!sidebar ? (
            <p className="muted">Loading…</p>
          ) : !sidebar.verified ? (
            <p className="muted">{sidebar.message}</p>
          ) : (
            <>
              <CustomerDetails panel={sidebar.panel} />
              <h3>Payments and refunds</h3>
              {sidebar.paymentsStatus?.state === 'unavailable' ? (
                <p className="muted">Unavailable: {sidebar.paymentsStatus.message}</p>
              ) : sidebar.payments.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <ul className="plain-list">
                  {sidebar.payments.map((payment) => (
                    <li key={payment.id}>
                      {payment.id}: {(payment.amountCents / 100).toFixed(2)} {humanize(payment.status)}
                      {payment.refundedCents > 0 && ` (refunded ${(payment.refundedCents / 100).toFixed(2)})`}
                    </li>
                  ))}
                </ul>
              )}
              <h3>Earlier conversations</h3>
              {sidebar.earlierConversations.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <ul className="plain-list">
                  {sidebar.earlierConversations.map((entry) => {
                    const href = `/console/inbox/${encodeURIComponent(entry.id)}`;
                    return (
                      <li key={entry.id}>
                        <a href={href} onClick={linkHandler(href)}>
                          {entry.subject ?? humanize(entry.channel)} · {formatDateTime(entry.createdAt)}
                        </a>{' '}
                        <span className="muted">({humanize(entry.status)})</span>
                      </li>
                    );
                  })}
                </ul>
              )}
            </>
          )}
        </aside>
      </div>
    </article>
  );
});

/** Who a list line is about. */
export const customerLabel = (item: InboxItem): string =>
  item.customer.name ?? item.customer.email ?? 'Anonymous visitor';
