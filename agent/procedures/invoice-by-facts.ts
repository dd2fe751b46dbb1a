import { DateTime } from 'luxon';
import { billing } from '../../connectors/contracts.ts';
import { mustRead, type ProcedureContext } from './procedure.ts';

const months = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
// "May" only capitalised ("we may need…" names no month); the others also abbreviated ("Sept", "Oct").
const monthName =
  /\b(january|february|march|april|May|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b/;

/** The month a message points at ("the September invoice", "last month's", "earlier this month"), 1–12 with its year. */
export function monthOf(
  message: string,
  now: Date,
  timezone: string,
): { year: number; month: number } | undefined {
  const today = DateTime.fromJSDate(now).setZone(timezone);
  if (/\b(last|previous|past) month'?s?\b/i.test(message)) {
    const last = today.minus({ months: 1 });
    return { year: last.year, month: last.month };
  }
  if (/\bthis month'?s?\b/i.test(message)) return { year: today.year, month: today.month };
  const named = message.match(new RegExp(monthName.source, 'i'));
  if (!named || (named[1]!.toLowerCase() === 'may' && named[1] !== 'May')) return undefined;
  const index = months.findIndex((name) => name.startsWith(named[1]!.toLowerCase().slice(0, 3)));
  if (index < 0) return undefined;
  // The latest such month that is not in the future: in November, "September" is this year's.
  const month = index + 1;
  return { year: month > today.month ? today.year - 1 : today.year, month };
}

/**
 * The invoice a customer describes by facts instead of its number (issue #19, pattern 9): the month
 * it was issued and/or its amount, matched against the account's invoices by issue date. Only one
 * match counts; none or several leave the question to the procedure.
 */
export async function invoiceByFacts(context: ProcedureContext): Promise<string | undefined> {
  const period = monthOf(context.message, context.now, context.customer?.timezone ?? 'UTC');
  const amount = context.slots.amount_cents ? Number(context.slots.amount_cents) : undefined;
  if (!period && !amount) return undefined;
  const { data } = await mustRead(context, billing.listInvoices, { limit: 24 });
  const matches = data.invoices.filter((invoice) => {
    const issued = DateTime.fromISO(invoice.issued_at);
    return (
      (!period || (issued.year === period.year && issued.month === period.month)) &&
      (!amount || invoice.amount_cents === amount)
    );
  });
  return matches.length === 1 ? matches[0]!.id : undefined;
}
