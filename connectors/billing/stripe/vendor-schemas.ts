import { z } from 'zod';

/*
 * Minimal schemas of the Stripe objects the backend reads (API version pinned in transport.ts): only
 * the fields mapped to the billing contract. Anything else Stripe sends is ignored; a missing or
 * mistyped field we read is a `permanent` error, never a crash. Field names follow
 * https://docs.stripe.com/api (customers, subscriptions, invoices, invoice payments, charges,
 * refunds, prices, customer portal sessions).
 */

const metadata = z.record(z.string(), z.string()).nullish();
/** An expandable reference: the id, or the object when expanded. */
const reference = z
  .union([z.string(), z.object({ id: z.string() })])
  .transform((value) => (typeof value === 'string' ? value : value.id));

export const stripeCustomer = z.object({
  id: z.string(),
  email: z.string().nullish(),
  metadata,
  deleted: z.boolean().optional(),
});
export type StripeCustomer = z.infer<typeof stripeCustomer>;

export const stripePrice = z.object({
  id: z.string(),
  lookup_key: z.string().nullish(),
  nickname: z.string().nullish(),
  unit_amount: z.number().int().nullish(),
  currency: z.string(),
  metadata,
});
export type StripePrice = z.infer<typeof stripePrice>;

export const stripeSubscription = z.object({
  id: z.string(),
  customer: reference,
  status: z.string(),
  cancel_at_period_end: z.boolean(),
  canceled_at: z.number().int().nullish(),
  created: z.number().int(),
  latest_invoice: z.unknown().optional(),
  items: z.object({
    data: z.array(
      z.object({
        id: z.string(),
        price: stripePrice,
        current_period_start: z.number().int(),
        current_period_end: z.number().int(),
      }),
    ),
  }),
});
export type StripeSubscription = z.infer<typeof stripeSubscription>;

export const stripeInvoicePayment = z.object({
  id: z.string(),
  invoice: reference,
  status: z.string(),
  payment: z.object({
    type: z.string(),
    payment_intent: reference.nullish(),
    charge: reference.nullish(),
  }),
});

export const stripeInvoice = z.object({
  id: z.string(),
  /** The number printed on the invoice, which the customer quotes (set when the invoice is finalized). */
  number: z.string().nullish(),
  customer: reference.nullish(),
  status: z.string().nullable(),
  total: z.number().int(),
  currency: z.string(),
  created: z.number().int(),
  due_date: z.number().int().nullish(),
  description: z.string().nullish(),
  attempt_count: z.number().int(),
  next_payment_attempt: z.number().int().nullish(),
  status_transitions: z.object({ finalized_at: z.number().int().nullish() }).nullish(),
  parent: z
    .object({ subscription_details: z.object({ subscription: reference.nullish() }).nullish() })
    .nullish(),
  /** Included only when expanded (`expand[]=payments`). */
  payments: z.object({ data: z.array(stripeInvoicePayment), has_more: z.boolean() }).optional(),
  lines: z
    .object({
      data: z.array(
        z.object({
          amount: z.number().int(),
          pricing: z.object({ price_details: z.object({ price: reference }).nullish() }).nullish(),
          parent: z
            .object({ subscription_item_details: z.object({ proration: z.boolean() }).nullish() })
            .nullish(),
        }),
      ),
    })
    .optional(),
});
export type StripeInvoice = z.infer<typeof stripeInvoice>;

export const stripeCharge = z.object({
  id: z.string(),
  customer: reference.nullish(),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  currency: z.string(),
  created: z.number().int(),
  status: z.enum(['succeeded', 'pending', 'failed']),
  payment_intent: reference.nullish(),
  failure_code: z.string().nullish(),
  outcome: z.object({ reason: z.string().nullish() }).nullish(),
  payment_method_details: z.object({ card: z.object({ last4: z.string().nullish() }).nullish() }).nullish(),
});
export type StripeCharge = z.infer<typeof stripeCharge>;

export const stripeRefund = z.object({
  id: z.string(),
  amount: z.number().int(),
  charge: reference.nullish(),
  status: z.string().nullish(),
  created: z.number().int(),
});
export type StripeRefund = z.infer<typeof stripeRefund>;

export const stripePortalSession = z.object({
  id: z.string(),
  url: z.string(),
  created: z.number().int(),
  after_expiration: z
    .object({ customer_login: z.object({ expires_at: z.number().int().nullish() }).nullish() })
    .nullish(),
});
export type StripePortalSession = z.infer<typeof stripePortalSession>;

/** A page of a search endpoint: `{ object: 'search_result', data, has_more, next_page }`. */
export const stripeSearchResult = <Item extends z.ZodType>(item: Item) =>
  z.object({ object: z.literal('search_result'), data: z.array(item), has_more: z.boolean() });

/** A page of a list endpoint: `{ object: 'list', data, has_more }`. */
export const stripeList = <Item extends z.ZodType>(item: Item) =>
  z.object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean() });
