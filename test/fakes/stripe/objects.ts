/*
 * The fake's stored objects and how they are rendered as Stripe JSON. Field names and nesting follow
 * Stripe's API reference for API version 2026-11-18.endive and were checked against the published
 * fixtures (stripe/openapi `openapi/fixtures3.json`) — see README.md. Only the fields the fake keeps
 * are rendered; each rendered key exists on the real object.
 */

export type Metadata = Record<string, string>;

export interface FakeCustomer {
  id: string;
  email: string | null;
  name: string | null;
  metadata: Metadata;
  created: number;
  balance: number;
  /** Test control: the card on file declines every charge with this decline code. */
  declineCode: string | null;
}

export interface FakePrice {
  id: string;
  product: string;
  unit_amount: number;
  currency: string;
  lookup_key: string | null;
  nickname: string | null;
  active: boolean;
  metadata: Metadata;
  created: number;
}

export interface FakeProduct {
  id: string;
  name: string;
  metadata: Metadata;
  created: number;
}

export interface FakeSubscriptionItem {
  id: string;
  price: string;
  current_period_start: number;
  current_period_end: number;
  created: number;
}

export interface FakeSubscription {
  id: string;
  customer: string;
  status: 'active' | 'trialing' | 'past_due' | 'canceled' | 'unpaid' | 'incomplete' | 'paused';
  items: FakeSubscriptionItem[];
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  created: number;
  latest_invoice: string | null;
  metadata: Metadata;
}

export interface FakeInvoiceLine {
  id: string;
  amount: number;
  description: string;
  price: string;
  proration: boolean;
  subscription_item: string | null;
}

export interface FakeInvoicePayment {
  id: string;
  invoice: string;
  payment_intent: string;
  amount_requested: number;
  amount_paid: number | null;
  status: 'open' | 'paid' | 'canceled';
  created: number;
}

export interface FakeInvoice {
  id: string;
  /** The customer-facing number printed on the invoice (assigned at finalization; null on drafts). */
  number: string | null;
  customer: string;
  subscription: string | null;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  total: number;
  currency: string;
  created: number;
  due_date: number | null;
  description: string | null;
  attempt_count: number;
  next_payment_attempt: number | null;
  finalized_at: number | null;
  lines: FakeInvoiceLine[];
  payments: FakeInvoicePayment[];
}

export interface FakeCharge {
  id: string;
  customer: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  created: number;
  status: 'succeeded' | 'pending' | 'failed';
  payment_intent: string;
  failure_code: string | null;
  failure_message: string | null;
  outcome_reason: string | null;
  last4: string;
}

export interface FakeRefund {
  id: string;
  charge: string;
  payment_intent: string;
  amount: number;
  currency: string;
  reason: string | null;
  metadata: Metadata;
  created: number;
}

export const renderCustomer = (customer: FakeCustomer) => ({
  id: customer.id,
  object: 'customer',
  balance: customer.balance,
  created: customer.created,
  currency: 'usd',
  email: customer.email,
  livemode: false,
  metadata: customer.metadata,
  name: customer.name,
});

export const renderProduct = (product: FakeProduct) => ({
  id: product.id,
  object: 'product',
  active: true,
  created: product.created,
  livemode: false,
  metadata: product.metadata,
  name: product.name,
  type: 'service',
});

export const renderPrice = (price: FakePrice) => ({
  id: price.id,
  object: 'price',
  active: price.active,
  billing_scheme: 'per_unit',
  created: price.created,
  currency: price.currency,
  livemode: false,
  lookup_key: price.lookup_key,
  metadata: price.metadata,
  nickname: price.nickname,
  product: price.product,
  recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
  type: 'recurring',
  unit_amount: price.unit_amount,
  unit_amount_decimal: String(price.unit_amount),
});

export const renderCharge = (charge: FakeCharge) => ({
  id: charge.id,
  object: 'charge',
  amount: charge.amount,
  amount_captured: charge.status === 'succeeded' ? charge.amount : 0,
  amount_refunded: charge.amount_refunded,
  captured: charge.status === 'succeeded',
  created: charge.created,
  currency: charge.currency,
  customer: charge.customer,
  failure_code: charge.failure_code,
  failure_message: charge.failure_message,
  livemode: false,
  metadata: {},
  outcome: {
    network_status: charge.status === 'failed' ? 'declined_by_network' : 'approved_by_network',
    reason: charge.outcome_reason,
    type: charge.status === 'failed' ? 'issuer_declined' : 'authorized',
  },
  paid: charge.status === 'succeeded',
  payment_intent: charge.payment_intent,
  payment_method_details: { card: { brand: 'visa', last4: charge.last4 }, type: 'card' },
  refunded: charge.amount_refunded >= charge.amount,
  status: charge.status,
});

export const renderRefund = (refund: FakeRefund) => ({
  id: refund.id,
  object: 'refund',
  amount: refund.amount,
  charge: refund.charge,
  created: refund.created,
  currency: refund.currency,
  metadata: refund.metadata,
  payment_intent: refund.payment_intent,
  reason: refund.reason,
  status: 'succeeded',
});

export const renderInvoicePayment = (payment: FakeInvoicePayment) => ({
  id: payment.id,
  object: 'invoice_payment',
  amount_paid: payment.amount_paid,
  amount_requested: payment.amount_requested,
  created: payment.created,
  currency: 'usd',
  invoice: payment.invoice,
  is_default: true,
  livemode: false,
  payment: { type: 'payment_intent', payment_intent: payment.payment_intent },
  status: payment.status,
  status_transitions: {
    canceled_at: null,
    paid_at: payment.status === 'paid' ? payment.created : null,
  },
});

const list = (url: string, data: unknown[]) => ({ object: 'list', data, has_more: false, url });

export function renderInvoice(invoice: FakeInvoice, expand: Set<string>) {
  const paid = invoice.payments.reduce((sum, payment) => sum + (payment.amount_paid ?? 0), 0);
  const due = Math.max(0, invoice.total);
  return {
    id: invoice.id,
    object: 'invoice',
    amount_due: due,
    amount_overpaid: Math.max(0, paid - due),
    amount_paid: paid,
    amount_remaining: invoice.status === 'paid' ? 0 : Math.max(0, due - paid),
    attempt_count: invoice.attempt_count,
    attempted: invoice.attempt_count > 0,
    billing_reason: invoice.subscription ? 'subscription_cycle' : 'manual',
    collection_method: 'charge_automatically',
    created: invoice.created,
    currency: invoice.currency,
    customer: invoice.customer,
    description: invoice.description,
    due_date: invoice.due_date,
    number: invoice.number,
    lines: list(
      `/v1/invoices/${invoice.id}/lines`,
      invoice.lines.map((line) => ({
        id: line.id,
        object: 'line_item',
        amount: line.amount,
        currency: invoice.currency,
        description: line.description,
        invoice: invoice.id,
        livemode: false,
        metadata: {},
        parent: line.subscription_item
          ? {
              type: 'subscription_item_details',
              invoice_item_details: null,
              subscription_item_details: {
                invoice_item: null,
                proration: line.proration,
                proration_details: null,
                subscription: invoice.subscription,
                subscription_item: line.subscription_item,
              },
            }
          : null,
        pricing: { type: 'price_details', price_details: { price: line.price } },
      })),
    ),
    livemode: false,
    metadata: {},
    next_payment_attempt: invoice.next_payment_attempt,
    parent: invoice.subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { metadata: {}, subscription: invoice.subscription },
        }
      : null,
    ...(expand.has('payments')
      ? { payments: list('/v1/invoice_payments', invoice.payments.map(renderInvoicePayment)) }
      : {}),
    status: invoice.status,
    status_transitions: {
      finalized_at: invoice.finalized_at,
      paid_at: invoice.status === 'paid' ? (invoice.payments.at(-1)?.created ?? invoice.created) : null,
    },
    subtotal: invoice.total,
    total: invoice.total,
  };
}

export interface FakePortalSession {
  id: string;
  customer: string;
  created: number;
  return_url: string | null;
  flow: string | null;
  after_expiration: { type: string; expires_at: number | null } | null;
}
