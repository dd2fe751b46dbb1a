import type { billing } from '../../connectors/contracts.ts';
import type { ContractOutput } from '../../connectors/core/contract.ts';
import { money } from './procedure.ts';

type RefundOutput = ContractOutput<typeof billing.refundPayment>;

/**
 * The refunds a confirmed action made now, apart from those the billing system reports as made
 * earlier by another request (another conversation, a colleague, the billing dashboard): those were
 * not this conversation's doing, so the customer is neither told nor emailed that they were issued now.
 */
export function splitEarlierRefunds(refunds: RefundOutput[]): {
  made: RefundOutput[];
  earlier: RefundOutput[];
} {
  return {
    made: refunds.filter((refund) => !refund.earlier_refund),
    earlier: refunds.filter((refund) => refund.earlier_refund),
  };
}

/** "That charge was already refunded: $99.00 on 2026-11-18 (refund re_…)…" — nothing new happened. */
export function alreadyRefundedText(earlier: RefundOutput[]): string {
  const total = earlier.reduce((sum, refund) => sum + refund.amount_cents, 0);
  const first = earlier[0]!;
  const ids = earlier.map((refund) => refund.refund_id).join(', ');
  return `Good news: that was already refunded — ${money(total)} on ${first.created_at.slice(0, 10)} for invoice ${first.invoice_id} (refund ${ids}), so there's nothing more to refund and I haven't made a second one. It goes back to your card and usually shows up within 5–10 business days of the refund.`;
}
