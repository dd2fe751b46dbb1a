import { humanize } from '../shared/format.ts';
import type { ChatDataParts } from './chat-types.ts';

type ToolCall = ChatDataParts['tool-call'];

const statusLabels: Record<string, string> = {
  ok: 'done',
  stale: 'from cache',
  approval_required: 'needs approval',
  human_required: 'needs a person',
  error: 'failed',
  running: 'working…',
};

/** A small chip per connector call: what the assistant looked up or changed, and how it went. */
export function ToolCallChip({ call }: { call: ToolCall }) {
  const label = statusLabels[call.status] ?? humanize(call.status);
  return (
    <span
      className={`chip chip-${call.status === 'ok' || call.status === 'stale' ? 'ok' : call.status === 'error' ? 'error' : 'info'}`}
    >
      {humanize(call.connector)}: {humanize(call.operation).toLowerCase()} — {label}
      {call.latencyMs !== null && call.latencyMs > 0 && (
        <span className="muted"> ({Math.round(call.latencyMs)} ms)</span>
      )}
    </span>
  );
}

interface CardKind {
  title: string;
  /** Ids of this kind mentioned in the reply (e.g. TCK-1042), shown on the card. */
  idPattern: RegExp;
}

/** Write operations that leave something the customer may want to keep a note of. */
const cardKinds: Record<string, CardKind> = {
  create_ticket: { title: 'Ticket created', idPattern: /\bTCK-\d+\b/g },
  add_comment: { title: 'Ticket updated', idPattern: /\bTCK-\d+\b/g },
  book: { title: 'Booking confirmed', idPattern: /\bbk_[a-z0-9]+\b/g },
  reschedule: { title: 'Booking moved', idPattern: /\bbk_[a-z0-9]+\b/g },
  cancel: { title: 'Booking cancelled', idPattern: /\bbk_[a-z0-9]+\b/g },
  refund_payment: { title: 'Refund issued', idPattern: /\bre_[a-z0-9]+\b/g },
};

/**
 * Cards for completed tickets, bookings and refunds: built only from what the stream says (the
 * successful call) and the ids the reply text names, never invented.
 */
export function ResultCards({ calls, text }: { calls: ToolCall[]; text: string }) {
  const cards = calls.filter((call) => call.status === 'ok' && cardKinds[call.operation]);
  if (cards.length === 0) return null;
  const amounts = text.match(/[$€£]\s?\d[\d,]*(?:\.\d{2})?/g) ?? [];
  return (
    <div className="result-cards">
      {cards.map((call, index) => {
        const kind = cardKinds[call.operation]!;
        const ids = [...new Set(text.match(kind.idPattern) ?? [])];
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: calls have no ids and never reorder
          <section key={index} className="result-card" aria-label={kind.title}>
            <h4>{kind.title}</h4>
            {ids.length > 0 && (
              <p>
                Reference: <strong>{ids.join(', ')}</strong>
              </p>
            )}
            {call.operation === 'refund_payment' && amounts.length > 0 && (
              <p>
                Amount: <strong>{amounts[0]}</strong>
              </p>
            )}
          </section>
        );
      })}
    </div>
  );
}
