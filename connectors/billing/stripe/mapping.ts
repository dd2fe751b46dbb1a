import type { z } from 'zod';
import type { PolicyNumbers } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import type { invoiceStatus, invoiceSummary } from '../contract.ts';
import { explainFailure } from '../failure-reasons.ts';
import { type PaymentView, refundWindowEnd } from '../payment-view.ts';
import { type PlanId, planIds } from '../schemas.ts';
import type { SubscriptionView } from '../subscription-view.ts';
import type { StripeCharge, StripeInvoice, StripePrice, StripeSubscription } from './vendor-schemas.ts';

/*
 * Stripe objects → the billing contract's shapes. Stripe ids are our ids (`in_…`, `ch_…`, `sub_…`,
 * `re_…`); Stripe amounts are already in the currency's smallest unit (cents); Stripe times are
 * Unix seconds.
 */

export const isoOf = (seconds: number): string => new Date(seconds * 1000).toISOString();
export const dateOf = (seconds: number): string => isoOf(seconds).slice(0, 10);

/** The plan a price stands for: its `lookup_key`, else `metadata.switchboard_plan`; one of our plan ids. */
export function planOfPrice(price: StripePrice): PlanId {
  const named = price.lookup_key ?? price.metadata?.switchboard_plan;
  const plan = planIds.find((id) => id === named);
  if (!plan) {
    throw new ConnectorError(
      'permanent',
      `Stripe price ${price.id} names no Switchboard plan: give it a lookup_key (or metadata.switchboard_plan) of ${planIds.join(', ')}`,
    );
  }
  return plan;
}

const subscriptionStatuses: Record<string, SubscriptionView['status']> = {
  active: 'active',
  trialing: 'trialing',
  past_due: 'past_due',
  unpaid: 'past_due',
  incomplete: 'past_due',
  canceled: 'cancelled',
  incomplete_expired: 'cancelled',
};

/** The subscription's one item: the backend supports single-price subscriptions (our plans). */
export function itemOf(subscription: StripeSubscription) {
  const item = subscription.items.data[0];
  if (!item || subscription.items.data.length > 1) {
    throw new ConnectorError(
      'permanent',
      `Stripe subscription ${subscription.id} has ${subscription.items.data.length} items; only single-plan subscriptions are supported`,
    );
  }
  return item;
}

/** A Stripe subscription as the contract's subscription view, owned by `accountId`. */
export function toSubscriptionView(subscription: StripeSubscription, accountId: string): SubscriptionView {
  const status = subscriptionStatuses[subscription.status];
  if (!status) {
    throw new ConnectorError(
      'permanent',
      `Stripe subscription ${subscription.id} is ${subscription.status}, which the billing contract does not express`,
    );
  }
  const item = itemOf(subscription);
  const plan = planOfPrice(item.price);
  return {
    id: subscription.id,
    account_id: accountId,
    status,
    plan: {
      id: plan,
      name: item.price.nickname ?? plan.charAt(0).toUpperCase() + plan.slice(1),
      // Enterprise is sold by contract whatever its Stripe price says.
      price_cents: plan === 'enterprise' ? null : (item.price.unit_amount ?? null),
    },
    period_start: dateOf(item.current_period_start),
    period_end: dateOf(item.current_period_end),
    cancel_at_period_end: subscription.cancel_at_period_end,
    // Stripe also stamps canceled_at when cancel_at_period_end is set; ours is the actual cancellation.
    cancelled_at: status === 'cancelled' && subscription.canceled_at ? isoOf(subscription.canceled_at) : null,
  };
}

/**
 * The invoice id the contract shows: the number printed on the invoice (what the customer reads and
 * quotes), else Stripe's id for an invoice without one (a draft). Both are accepted as input.
 */
export const invoiceRefOf = (invoice: Pick<StripeInvoice, 'id' | 'number'>): string =>
  invoice.number ?? invoice.id;

/** Whether an input's invoice id names this invoice (by its number or its Stripe id). */
export const namesInvoice = (invoice: Pick<StripeInvoice, 'id' | 'number'>, reference: string): boolean =>
  reference === invoice.id || (invoice.number != null && reference.trim() === invoice.number);

/** The payment intents (or bare charges) whose payments an invoice records. */
export function paymentRefsOf(invoice: StripeInvoice): string[] {
  return (invoice.payments?.data ?? [])
    .filter((payment) => payment.status !== 'canceled')
    .flatMap((payment) => [payment.payment.payment_intent, payment.payment.charge])
    .filter((ref): ref is string => typeof ref === 'string');
}

/** The invoice (its contract id, `invoiceRefOf`) a charge paid through its payment intent, by the invoices' recorded payments. */
export function invoiceIndex(invoices: StripeInvoice[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const invoice of invoices)
    for (const ref of paymentRefsOf(invoice)) index.set(ref, invoiceRefOf(invoice));
  return index;
}

export const invoiceOfCharge = (charge: StripeCharge, index: Map<string, string>): string | null =>
  (charge.payment_intent ? index.get(charge.payment_intent) : undefined) ?? index.get(charge.id) ?? null;

/**
 * A Stripe invoice's status in the contract's words: `uncollectible`, and `open` after a failed
 * attempt, are `failed`; a paid invoice whose charges were all refunded is `refunded` (as the
 * built-in backend marks it).
 */
export function invoiceStatusOf(
  invoice: StripeInvoice,
  charges: StripeCharge[],
): z.infer<typeof invoiceStatus> {
  switch (invoice.status) {
    case 'draft':
    case 'void':
      return invoice.status;
    case 'uncollectible':
      return 'failed';
    case 'open':
      return invoice.attempt_count > 0 ? 'failed' : 'open';
    case 'paid': {
      const charged = charges.filter((charge) => charge.status === 'succeeded');
      const refundedAll =
        charged.length > 0 && charged.every((charge) => charge.amount_refunded >= charge.amount);
      return refundedAll ? 'refunded' : 'paid';
    }
    default:
      throw new ConnectorError('permanent', `Stripe invoice ${invoice.id} has status ${invoice.status}`);
  }
}

export function toInvoiceSummary(
  invoice: StripeInvoice,
  charges: StripeCharge[],
): z.infer<typeof invoiceSummary> {
  return {
    id: invoiceRefOf(invoice),
    subscription_id: invoice.parent?.subscription_details?.subscription ?? null,
    amount_cents: invoice.total,
    currency: invoice.currency,
    status: invoiceStatusOf(invoice, charges),
    issued_at: dateOf(invoice.status_transitions?.finalized_at ?? invoice.created),
    due_at: invoice.due_date ? dateOf(invoice.due_date) : null,
    description: invoice.description ?? null,
  };
}

// Stripe's decline codes (https://docs.stripe.com/declines/codes) named as failure-reasons.ts names them.
const failureCodes: Record<string, string> = {
  expired_card: 'card_expired',
  generic_decline: 'card_declined',
  lost_card: 'lost_or_stolen_card',
  stolen_card: 'lost_or_stolen_card',
};

/** Why a charge failed: the issuer's reason from `outcome.reason`, else `failure_code`. */
export function failureReasonOf(charge: StripeCharge): string | null {
  if (charge.status !== 'failed') return null;
  const code = charge.outcome?.reason ?? charge.failure_code ?? 'card_declined';
  return failureCodes[code] ?? code;
}

export function paymentStatusOf(charge: StripeCharge): PaymentView['status'] {
  if (charge.status !== 'succeeded') return charge.status;
  if (charge.amount_refunded >= charge.amount) return 'refunded';
  return charge.amount_refunded > 0 ? 'partially_refunded' : 'succeeded';
}

/** A charge as the contract's payment view, with the refund window judged at `now`. */
export function toPaymentView(
  charge: StripeCharge,
  invoiceId: string,
  now: Date,
  policy: PolicyNumbers,
): PaymentView {
  const windowEnd = refundWindowEnd(new Date(charge.created * 1000), policy);
  const reason = failureReasonOf(charge);
  const failure = explainFailure(reason);
  return {
    id: charge.id,
    invoice_id: invoiceId,
    amount_cents: charge.amount,
    status: paymentStatusOf(charge),
    created_at: isoOf(charge.created),
    card_last4: charge.payment_method_details?.card?.last4 ?? null,
    refunded_cents: charge.amount_refunded,
    refundable_cents: charge.status === 'succeeded' ? Math.max(0, charge.amount - charge.amount_refunded) : 0,
    refund_window_ends_at: windowEnd.toISOString(),
    within_refund_window: now.getTime() <= windowEnd.getTime(),
    failure_reason: reason,
    failure_explanation: failure?.explanation ?? null,
    customer_action: failure?.customer_action ?? null,
  };
}
