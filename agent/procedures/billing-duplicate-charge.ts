import { billing } from '../../connectors/contracts.ts';
import {
  ask,
  money,
  mustRead,
  outputsOf,
  type Procedure,
  type ProcedureContext,
  writeAction,
} from './procedure.ts';
import { alreadyRefundedText, splitEarlierRefunds } from './refund-outcome.ts';

/** Duplicate payment found and refunded (auto up to the limit, else approval), confirmation emailed. */
export const duplicateChargeProcedure: Procedure = {
  intent: 'billing.duplicate_charge',
  title: 'a refund of a duplicate charge',
  verification: 'required',
  slots: {
    invoice_id: {
      prompt:
        'I see more than one charge that could be a duplicate. Which invoice is it about (e.g. INV-10234)?',
    },
  },
  async plan(context) {
    const { data } = await mustRead(context, billing.findDuplicateCharges, {
      ...(context.slots.invoice_id ? { invoice_id: context.slots.invoice_id } : {}),
    });
    const candidates = data.duplicates;
    if (candidates.length === 0) {
      // "Charged twice" when the second charge was already refunded (issue #19, pattern 10): say so,
      // with the charge and its date, rather than "no duplicate" (which reads as a denial).
      const refunded = await refundedDuplicate(context);
      if (refunded)
        return {
          kind: 'reply',
          outcome: 'answered',
          text: `Invoice ${refunded.invoice_id} was indeed charged twice on ${day(refunded.created_at)}, and the second charge of ${money(refunded.amount_cents)} has already been refunded to your card${refunded.card_last4 ? ` ending ${refunded.card_last4}` : ''}. Nothing more is owed to you; a refund usually shows up on your statement within 5–10 business days.`,
        };
      const scope = context.slots.invoice_id
        ? ` on invoice ${context.slots.invoice_id}`
        : ' in your recent payments';
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `I checked and found no duplicate charge${scope}: each invoice was charged once. If you see two charges on your card statement, one may be a pending authorisation that drops off within a few days.`,
      };
    }
    const invoices = new Set(candidates.map((item) => item.invoice_id));
    if (invoices.size > 1) return ask(this, 'invoice_id');
    const inWindow = candidates.filter((item) => item.within_refund_window);
    if (inWindow.length === 0) {
      const first = candidates[0]!;
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `Invoice ${first.invoice_id} was charged twice (${money(first.amount_cents)}), but the second charge is older than our ${context.policy.refund_window_days}-day refund window, so I can't refund it automatically. A colleague can review it for an account credit if you'd like — just ask for a person.`,
      };
    }
    const total = inWindow.reduce((sum, item) => sum + item.amount_cents, 0);
    const first = inWindow[0]!;
    return {
      kind: 'confirm',
      // Speaks to the customer: money, the invoice number they see on their bill and the day — never
      // internal payment ids (those stay in the action's summary for the console).
      prompt: `I found a duplicate charge of ${money(first.amount_cents)} on invoice ${first.invoice_id}, made on ${day(first.created_at)} right after the original${inWindow.length > 1 ? ` (${inWindow.length} extra charges)` : ''}. Shall I refund ${money(total)} to your card?`,
      actions: inWindow.map((item) =>
        writeAction(
          billing.refundPayment,
          { payment_id: item.payment_id, amount_cents: item.amount_cents, reason: 'duplicate_charge' },
          `refund ${money(item.amount_cents)} of duplicate payment ${item.payment_id} (invoice ${item.invoice_id})`,
        ),
      ),
    };
  },
  complete(_context, results) {
    const { made: refunds, earlier } = splitEarlierRefunds(outputsOf(results, billing.refundPayment));
    if (refunds.length === 0) return { text: alreadyRefundedText(earlier) };
    const total = refunds.reduce((sum, refund) => sum + refund.amount_cents, 0);
    const invoice = refunds[0]!.invoice_id;
    const payments = refunds.map((refund) => refund.payment_id);
    return {
      text: `Done — I've refunded ${money(total)} for the duplicate charge on invoice ${invoice}. It goes back to your card and usually shows up within 5–10 business days. I've emailed you a confirmation.`,
      email: {
        template: 'refund_issued',
        variables: {
          amount_cents: total,
          invoice_id: invoice,
          payment_id: payments.join(', '),
          refund_id: refunds[0]!.refund_id,
          reason: 'Duplicate charge',
        },
      },
    };
  },
};

/** "1 Nov 2026" */
const day = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });

/**
 * A duplicate that was already refunded: on one invoice (the one named, else any recent one), a
 * refunded payment of the same amount within a day of a succeeded one — what `findDuplicateCharges`
 * leaves out because nothing is left to refund.
 */
async function refundedDuplicate(context: ProcedureContext) {
  const accountId = context.customer?.accountId;
  if (!accountId) return undefined;
  const outcome = await context.read(billing.listPayments, {
    account_id: accountId,
    ...(context.slots.invoice_id ? { invoice_id: context.slots.invoice_id } : {}),
    limit: 20,
  });
  if (!outcome.ok) return undefined;
  const payments = outcome.data.payments;
  return payments.find(
    (payment) =>
      payment.status === 'refunded' &&
      payments.some(
        (other) =>
          other.id !== payment.id &&
          other.invoice_id === payment.invoice_id &&
          other.amount_cents === payment.amount_cents &&
          other.status === 'succeeded' &&
          Math.abs(Date.parse(other.created_at) - Date.parse(payment.created_at)) <= 86_400_000,
      ),
  );
}
