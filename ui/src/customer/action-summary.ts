import type { TFunction } from 'i18next';
import { formatMoney, formatWhen } from './customer-format.ts';

/** A write the agent proposes or did, as the UI stream carries it (`data-confirmation` actions). */
export interface ProposedAction {
  connector: string;
  operation: string;
  input?: Record<string, unknown>;
}

export interface SummaryFormat {
  t: TFunction;
  locale: string;
  timeZone: string;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
const cents = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;

/** `pro` / `business_annual` → "Pro" / "Business annual": plan ids are words, shown capitalised. */
function planName(value: string): string {
  const words = value.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * One proposed action in the customer's words, from the operation and the few input values a customer
 * recognises (an amount, a time, a plan, a ticket subject). Never an id, a field name, cents or a policy
 * variable: an operation we have no sentence for is "Make this change to your account".
 */
export function describeAction(action: ProposedAction, { t, locale, timeZone }: SummaryFormat): string {
  const input = action.input ?? {};
  switch (action.operation) {
    case 'refund_payment': {
      const amount = cents(input.amount_cents);
      return amount === null
        ? t('actions.refund_payment_plain')
        : t('actions.refund_payment', { amount: formatMoney(amount, locale, text(input.currency) ?? 'USD') });
    }
    case 'change_plan': {
      const plan = text(input.plan);
      return plan ? t('actions.change_plan', { plan: planName(plan) }) : t('actions.change_plan_plain');
    }
    case 'cancel_subscription':
      return input.at_period_end === false
        ? t('actions.cancel_subscription_now')
        : t('actions.cancel_subscription');
    case 'book':
    case 'reschedule': {
      const when = text(input.start) ? formatWhen(String(input.start), locale, timeZone) : null;
      return when ? t(`actions.${action.operation}`, { when }) : t(`actions.${action.operation}_plain`);
    }
    case 'create_ticket': {
      const subject = text(input.subject);
      return subject ? t('actions.create_ticket', { subject }) : t('actions.create_ticket_plain');
    }
    case 'retry_payment':
    case 'send_payment_link':
    case 'cancel':
    case 'add_comment':
    case 'update_contact':
      return t(`actions.${action.operation}`);
    default:
      return t('actions.other');
  }
}

/** The card a completed write leaves: its title and the details a customer keeps a note of. */
export interface ResultCard {
  title: string;
  rows: Array<{ label: string; value: string }>;
}

const cardTitles: Record<string, string> = {
  refund_payment: 'cards.refundIssued',
  create_ticket: 'cards.ticketCreated',
  add_comment: 'cards.ticketUpdated',
  book: 'cards.bookingConfirmed',
  reschedule: 'cards.bookingMoved',
  cancel: 'cards.bookingCancelled',
  change_plan: 'cards.planChanged',
  cancel_subscription: 'cards.subscriptionCancelled',
  retry_payment: 'cards.paymentRetried',
  send_payment_link: 'cards.paymentLinkSent',
  update_contact: 'cards.contactUpdated',
};

/** Ticket numbers are the customer's reference (they are in the emails); internal ids never show. */
const ticketNumber = /\bTCK-\d+\b/g;
const amountInText = /[$€£]\s?\d[\d,]*(?:\.\d{2})?/;

/**
 * The card for a successful write, built only from what the stream said: the operation, the input the
 * customer confirmed for it (when the same turn's confirmation named it) and ticket numbers or an
 * amount the reply text names. Null for reads and operations without a card.
 */
export function resultCard(
  operation: string,
  confirmed: ProposedAction | undefined,
  replyText: string,
  format: SummaryFormat,
): ResultCard | null {
  const title = cardTitles[operation];
  if (!title) return null;
  const { t, locale, timeZone } = format;
  const input = confirmed?.input ?? {};
  const rows: ResultCard['rows'] = [];
  if (operation === 'refund_payment') {
    const amount = cents(input.amount_cents);
    const shown =
      amount !== null
        ? formatMoney(amount, locale, text(input.currency) ?? 'USD')
        : replyText.match(amountInText)?.[0];
    if (shown) rows.push({ label: t('cards.amount'), value: shown });
  }
  if ((operation === 'book' || operation === 'reschedule') && text(input.start)) {
    const when = formatWhen(String(input.start), locale, timeZone);
    if (when) rows.push({ label: t('cards.when'), value: when });
  }
  if (operation === 'change_plan' && text(input.plan))
    rows.push({ label: t('cards.plan'), value: planName(String(input.plan)) });
  if (operation === 'create_ticket' || operation === 'add_comment') {
    const tickets = [...new Set(replyText.match(ticketNumber) ?? [])];
    if (tickets.length > 0) rows.push({ label: t('cards.reference'), value: tickets.join(', ') });
  }
  if (rows.length === 0 && confirmed) rows.push({ label: '', value: describeAction(confirmed, format) });
  if (rows.length === 0) rows.push({ label: '', value: t('cards.done') });
  return { title: t(title), rows };
}
