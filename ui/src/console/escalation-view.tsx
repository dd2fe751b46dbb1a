import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import type {
  ApprovalBody,
  CustomerPanel,
  EscalationDetail,
  PanelSectionStatus,
  ReplyBody,
} from '../../../api/contract/console.ts';
import type { ConsoleEvent } from '../../../api/contract/events.ts';
import { useEventStream } from '../shared/event-stream.ts';
import { formatDate, formatDateTime, formatWaiting, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { KeyValue } from '../shared/key-value.tsx';
import { linkHandler } from '../shared/router.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { lastDecisionFailure } from './decisions.ts';
import { MailAuthBadge } from './mail-auth-badge.tsx';
import { OriginalMailDetails } from './original-mail.tsx';
import { PacketView, PendingActionCard } from './packet-view.tsx';
import { SaveScenarioDialog } from './save-scenario-dialog.tsx';

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
  /** The suggestion last put in the reply box: while the box still holds it, it follows the state. */
  const suggestedRef = useRef<string | null>(null);

  const load = useCallback(async () => {
    try {
      const next = await request<EscalationDetail>(
        `/api/console/escalations/${encodeURIComponent(escalationId)}`,
      );
      setDetail(next);
      // The reply box starts from the suggestion for the escalation's state and follows it while the
      // human has not edited it: after a decision the suggestion changes (it never says "approved"
      // before there is a decision), and their own words are never replaced.
      const suggestion = suggestedReplyFor(next);
      // Read now: the updater runs later, when the ref already holds the new suggestion.
      const previous = suggestedRef.current;
      setReply((current) => (current === null || current === previous ? suggestion : current));
      suggestedRef.current = suggestion;
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request, escalationId]);

  useEffect(() => {
    void load();
  }, [load]);

  const conversationId = detail?.escalation.conversationId;
  useEventStream('/api/console/events', {
    types: ['escalation', 'message', 'status'],
    onEvent: ({ data }) => {
      const event = data as ConsoleEvent;
      if (
        event.conversationId === conversationId ||
        (event.kind === 'escalation' && event.escalationId === escalationId)
      )
        void load();
    },
    onReconnect: () => void load(),
  });

  const act = async (
    label: string,
    url: string,
    body: ApprovalBody | ReplyBody | Record<string, never> = {},
  ) => {
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

  const { escalation: item, packet } = detail;
  const escalationUrl = `/api/console/escalations/${encodeURIComponent(item.id)}`;
  const conversationUrl = `/api/console/conversations/${encodeURIComponent(item.conversationId)}`;
  const closed = item.status === 'resolved' || item.status === 'handed_back';
  // A pending action the conversation does not wait on for approval is a write that failed.
  const mode = item.conversationStatus === 'waiting_approval' ? 'approval' : 'retry';

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
        {item.claimedBy ? ` by ${item.claimedBy.name}` : ''} · opened {formatDateTime(item.createdAt)}
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
        <SaveScenarioDialog conversationId={item.conversationId} reason={item.reason} />
      </div>
      {item.decidedAt && !closed && (
        <p className="banner banner-ok">
          The decision was carried out. Write to the customer if you like, then Resolve (or hand the
          conversation back to the assistant).
        </p>
      )}
      {item.internalNote && (
        <p className="banner banner-warn">
          <strong>Internal note (team only):</strong> {item.internalNote}
        </p>
      )}
      {detail.conversation.csat && (
        <p className="muted">
          Customer rating: <strong>{detail.conversation.csat.rating} out of 5</strong>
          {detail.conversation.csat.comment ? ` — “${detail.conversation.csat.comment}”` : ''}
        </p>
      )}
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
                    <span className="muted"> · {formatDateTime(entry.createdAt)}</span>
                    <MailAuthBadge role={entry.role} metadata={entry.metadata} />
                  </span>
                  {entry.text}
                  <OriginalMailDetails role={entry.role} metadata={entry.metadata} shown={entry.text} />
                  {entry.role === 'system' && entry.metadata.kind === 'approval' && (
                    <DecisionDetails metadata={entry.metadata} />
                  )}
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
          {packet.pendingAction && item.pendingAction && !closed && (
            <PendingActionCard
              action={packet.pendingAction}
              mode={mode}
              busy={busy}
              failure={lastDecisionFailure(detail.transcript)}
              onDecide={(decision) =>
                void act(
                  decisionNotices[mode][decision.approved ? 'approved' : 'denied'],
                  `${conversationUrl}/approval`,
                  decision,
                )
              }
            />
          )}
          <PacketView packet={packet} />
          <section className="card section" aria-labelledby="customer-heading">
            <h2 id="customer-heading">Customer</h2>
            <CustomerDetails panel={detail.customer} />
          </section>
        </div>
      </div>
    </>
  );
}

/**
 * The reply box's starting text for the escalation's state: the packet's suggestion while nothing is
 * decided (agent/escalation-packet.ts: it promises an answer, never an outcome); once the pending
 * action was carried out on a decision the assistant has told the customer the outcome, so the box
 * starts empty for the human's own note.
 */
export function suggestedReplyFor(detail: EscalationDetail): string {
  return detail.escalation.decidedAt ? '' : detail.packet.suggestedReply;
}

const decisionNotices = {
  approval: {
    approved: 'Approved: the assistant carries it out. Resolve when you are done.',
    denied: 'Denied.',
  },
  retry: {
    approved: 'Retry approved: the assistant carries it out. Resolve when you are done.',
    denied: 'Denied: the action is dropped.',
  },
} as const;

/** What a decision record keeps apart: the team's internal reason and what the customer was sent. */
function DecisionDetails({ metadata }: { metadata: Record<string, unknown> }) {
  const internalReason = typeof metadata.internalReason === 'string' ? metadata.internalReason : null;
  const customerMessage = typeof metadata.customerMessage === 'string' ? metadata.customerMessage : null;
  if (!internalReason && !customerMessage) return null;
  return (
    <>
      {internalReason && <span className="muted">{`\nInternal reason (team only): ${internalReason}`}</span>}
      {customerMessage && <span className="muted">{`\nMessage to the customer: ${customerMessage}`}</span>}
    </>
  );
}

/**
 * CRM (contact, account), subscription, invoices, tickets and billing events (`customerPanelSchema`).
 * Each section but the billing events is read through its connector; one that could not be read
 * says "Unavailable" (never "None", which would claim the customer has nothing), and one served from
 * the last good answer while the system is down says how old it is.
 */
export function CustomerDetails({ panel }: { panel: CustomerPanel }) {
  const { invoices, tickets, billingEvents, sections = {} } = panel;
  const records = (['contact', 'account', 'subscription'] as const).map((key) => [key, panel[key]] as const);
  const readable = (status: PanelSectionStatus | undefined) => status?.state !== 'unavailable';
  return (
    <>
      {records.map(([key, value]) => (
        <div key={key}>
          <h3>{humanize(key)}</h3>
          <SectionState status={sections[key]} />
          {readable(sections[key]) && <KeyValue value={value} />}
        </div>
      ))}
      {invoices && (
        <>
          <h3>Invoices</h3>
          <SectionState status={sections.invoices} />
          {!readable(sections.invoices) ? null : invoices.length === 0 ? (
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
          <SectionState status={sections.tickets} />
          {!readable(sections.tickets) ? null : tickets.length === 0 ? (
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
      {billingEvents && billingEvents.length > 0 && <BillingEvents events={billingEvents} />}
    </>
  );
}

const connectorNames: Record<string, string> = { crm: 'The CRM', billing: 'Billing', ticketing: 'Ticketing' };

/** A section that could not be read, or was served from the last good answer. */
function SectionState({ status }: { status: PanelSectionStatus | undefined }) {
  if (!status || status.state === 'ok') return null;
  const system = connectorNames[status.connector] ?? status.connector;
  if (status.state === 'stale') {
    const age = formatWaiting(new Date(Date.now() - (status.ageSeconds ?? 0) * 1000).toISOString());
    return (
      <p className="banner banner-warn" role="status">
        {`${system} is not answering: shown as last read, ${age} ago.`}
      </p>
    );
  }
  return (
    <p className="banner banner-error" role="status" title={status.message}>
      {`Unavailable: ${system} could not be read just now.`}
      {status.message ? <span className="muted">{` ${status.message}`}</span> : null}
    </p>
  );
}

const billingEventTitles: Record<string, string> = {
  'charge.refunded': 'Refund',
  'invoice.payment_failed': 'Payment failed',
  'customer.subscription.updated': 'Subscription changed',
};

/** The account's latest Stripe events (webhooks), newest first. */
function BillingEvents({ events }: { events: CustomerPanel['billingEvents'] }) {
  return (
    <>
      <h3>Billing events</h3>
      <ul className="plain-list">
        {events.map((event) => {
          const title = billingEventTitles[event.type] ?? event.type;
          // The status only when it says more than the title ("Refund": refunded or partially).
          const status = event.status && humanize(event.status) !== title ? humanize(event.status) : null;
          const details = [status, formatDateTime(event.occurredAt)].filter(Boolean).join(', ');
          return (
            <li key={event.eventId}>
              <strong>{title}</strong> {event.objectId}
              {event.amountCents !== null ? ` ${formatMoney(event.amountCents, event.currency)}` : ''}{' '}
              <span className="muted">
                ({details}
                {event.superseded ? '; arrived late, a newer state stands' : ''})
              </span>
            </li>
          );
        })}
      </ul>
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
