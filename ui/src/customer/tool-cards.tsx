import { type ProposedAction, resultCard } from './action-summary.ts';
import type { ChatDataParts } from './chat-types.ts';
import { customerTimeZone, useCustomerText } from './i18n.ts';

type ToolCall = ChatDataParts['tool-call'];

const statusKeys: Record<string, string> = {
  ok: 'chips.ok',
  stale: 'chips.stale',
  approval_required: 'chips.approval',
  human_required: 'chips.person',
  error: 'chips.error',
  running: 'chips.running',
};

const systemKeys: Record<string, string> = {
  billing: 'chips.billing',
  crm: 'chips.crm',
  calendar: 'chips.calendar',
  ticketing: 'chips.ticketing',
  knowledge: 'chips.knowledge',
  email: 'chips.email',
};

/** A small chip per connector call: which of our systems the assistant used, and how it went. */
export function ToolCallChip({ call }: { call: ToolCall }) {
  const { t } = useCustomerText();
  const tone =
    call.status === 'ok' || call.status === 'stale' ? 'ok' : call.status === 'error' ? 'error' : 'info';
  return (
    <span className={`chip chip-${tone}`}>
      {t(systemKeys[call.connector] ?? 'chips.other')} — {t(statusKeys[call.status] ?? 'chips.other_status')}
    </span>
  );
}

/**
 * Cards for completed writes (refunds, bookings, tickets, plan changes…): built only from what the
 * stream says — the successful call, the input the customer confirmed for it, the ticket number the
 * reply names — in the customer's locale and time zone; never an id or a field name.
 */
export function ResultCards({
  calls,
  text,
  confirmed,
}: {
  calls: ToolCall[];
  text: string;
  confirmed: ProposedAction[];
}) {
  const { t, locale } = useCustomerText();
  const format = { t, locale, timeZone: customerTimeZone() };
  const cards = calls
    .filter((call) => call.status === 'ok')
    .map((call) =>
      resultCard(
        call.operation,
        confirmed.find(
          (action) => action.connector === call.connector && action.operation === call.operation,
        ),
        text,
        format,
      ),
    )
    .filter((card) => card !== null);
  if (cards.length === 0) return null;
  return (
    <div className="result-cards">
      {cards.map((card, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: calls have no ids and never reorder
        <section key={index} className="result-card" aria-label={card.title}>
          <h4>{card.title}</h4>
          <dl>
            {card.rows.map((row, rowIndex) =>
              row.label ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: a card's rows are fixed
                <div key={rowIndex} className="result-card-row">
                  <dt>{row.label}:</dt> <dd>{row.value}</dd>
                </div>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: a card's rows are fixed
                <dd key={rowIndex} className="result-card-summary">
                  {row.value}
                </dd>
              ),
            )}
          </dl>
        </section>
      ))}
    </div>
  );
}
