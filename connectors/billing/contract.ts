import { z } from 'zod';
import { defineContract } from '../core/contract.ts';
import { paymentView } from './payment-view.ts';
import { planChangeQuote } from './plan-change-quote.ts';
import { cents, isoDate, isoDateTime, listLimit, planId, recordId, utcDate } from './schemas.ts';
import { subscriptionView } from './subscription-view.ts';

/*
 * The billing contract: every billing operation, declared once — its name (kept in audit rows,
 * policies and faults), input/output schemas, effect, natural idempotency key and session binding.
 * A backend (the built-in one over our tables, `connectors/billing/operations/*`; later Stripe)
 * implements it with `implement(billing.x, { scopes, timeoutMs, ownership, run })`, and callers
 * name operations only as `billing.x`.
 */

export const invoiceStatus = z.enum(['draft', 'open', 'paid', 'failed', 'void', 'refunded']);

export const invoiceSummary = z.object({
  id: z.string(),
  subscription_id: z.string().nullable(),
  amount_cents: cents,
  currency: z.string(),
  status: invoiceStatus,
  issued_at: isoDate,
  due_at: isoDate.nullable(),
  description: z.string().nullable(),
});

const duplicate = z.object({
  /** The later charge: the one to refund. */
  payment_id: z.string(),
  /** The earlier charge it duplicates, which stays. */
  original_payment_id: z.string(),
  invoice_id: z.string(),
  amount_cents: cents,
  created_at: isoDateTime,
  within_refund_window: z.boolean(),
  refund_window_ends_at: isoDateTime,
});

const refundOutput = z.object({
  refund_id: z.string(),
  payment_id: z.string(),
  invoice_id: z.string(),
  amount_cents: cents,
  payment_status: z.enum(['refunded', 'partially_refunded']),
  refunded_total_cents: cents,
  remaining_refundable_cents: cents,
  created_at: isoDateTime,
  /** True when nothing new happened: the refund reported had already been made. */
  already_refunded: z.boolean(),
  /**
   * True when that earlier refund was made by another request (another conversation, a colleague,
   * the billing system's own dashboard) — not by this call's own earlier attempt under the same
   * idempotency key. The customer was not refunded by this request and must not be told so.
   */
  earlier_refund: z.boolean(),
});

const changePlanOutput = z.object({
  plan_change_id: z.string(),
  subscription_id: z.string(),
  from_plan: planId,
  to_plan: planId,
  direction: z.enum(['upgrade', 'downgrade']),
  amount_charged_cents: cents,
  credit_cents: cents,
  /** The proration invoice and its payment (card on file), for an upgrade that cost something. */
  invoice_id: z.string().nullable(),
  payment_id: z.string().nullable(),
  /** The credit for the next invoice, for a downgrade. */
  credit_id: z.string().nullable(),
  effective_on: isoDate,
  /** True when the subscription had already been moved to this plan by this change (a retried call). */
  already_applied: z.boolean(),
});

/** Billing operations (subscriptions, invoices, payments, refunds, plan changes). */
export const billing = {
  getSubscription: defineContract({
    connector: 'billing',
    name: 'get_subscription',
    description:
      "The customer's current subscription: plan, price, status, billing period and pending cancellation.",
    effect: 'read',
    input: z.strictObject({ account_id: recordId }),
    output: subscriptionView,
    customerKey: { field: 'account_id', from: 'accountId' },
    cacheable: true,
  }),
  listInvoices: defineContract({
    connector: 'billing',
    name: 'list_invoices',
    description: "The customer's invoices, newest first (id, amount, status, issue date).",
    effect: 'read',
    input: z.strictObject({ account_id: recordId, limit: listLimit }),
    output: z.object({ invoices: z.array(invoiceSummary) }),
    customerKey: { field: 'account_id', from: 'accountId' },
    cacheable: true,
  }),
  getInvoice: defineContract({
    connector: 'billing',
    name: 'get_invoice',
    description: 'One invoice of the customer, with its payments and how much of it was refunded.',
    effect: 'read',
    input: z.strictObject({ invoice_id: recordId }),
    output: invoiceSummary.extend({
      account_id: z.string(),
      refunded_cents: cents,
      payments: z.array(
        z.object({
          id: z.string(),
          amount_cents: cents,
          status: z.string(),
          created_at: isoDateTime,
          card_last4: z.string().nullable(),
        }),
      ),
    }),
  }),
  listPayments: defineContract({
    connector: 'billing',
    name: 'list_payments',
    description: "The customer's payments (charges), newest first, optionally only those of one invoice.",
    effect: 'read',
    input: z.strictObject({ account_id: recordId, invoice_id: recordId.optional(), limit: listLimit }),
    output: z.object({ payments: z.array(paymentView) }),
    customerKey: { field: 'account_id', from: 'accountId' },
  }),
  getPayment: defineContract({
    connector: 'billing',
    name: 'get_payment',
    description:
      'One payment of the customer: amount, status, refunded and refundable amounts, refund window, and for a failed payment the reason explained.',
    effect: 'read',
    input: z.strictObject({ payment_id: recordId }),
    output: paymentView,
  }),
  findDuplicateCharges: defineContract({
    connector: 'billing',
    name: 'find_duplicate_charges',
    description:
      "Finds duplicate charges on the customer's invoices (same invoice, same amount, within 24 hours, not yet refunded) and says whether each is still inside the refund window.",
    effect: 'read',
    input: z.strictObject({ account_id: recordId, invoice_id: recordId.optional() }),
    output: z.object({ duplicates: z.array(duplicate) }),
    customerKey: { field: 'account_id', from: 'accountId' },
  }),
  previewPlanChange: defineContract({
    connector: 'billing',
    name: 'preview_plan_change',
    description:
      'Previews a plan change: prorated to the day for the rest of the period; an upgrade is charged now, a downgrade is credited to the next invoice. Show this to the customer before change_plan.',
    effect: 'read',
    input: z.strictObject({ subscription_id: recordId, plan: planId }),
    output: planChangeQuote,
  }),
  refundPayment: defineContract({
    connector: 'billing',
    name: 'refund_payment',
    description:
      'Refunds a payment (all of it, or part) back to the card. Only succeeded payments, within the refund window, up to what is left to refund.',
    effect: 'write',
    input: z.strictObject({
      payment_id: recordId,
      amount_cents: z.number().int().positive(),
      reason: z.string().trim().min(1).max(200).default('requested_by_customer'),
    }),
    output: refundOutput,
    idempotencyKey: (input) => `refund:${input.payment_id}:${input.amount_cents}`,
    mayNeedApproval: true,
  }),
  changePlan: defineContract({
    connector: 'billing',
    name: 'change_plan',
    description:
      'Changes the subscription to another plan now, with the proration from preview_plan_change: an upgrade is charged to the card on file, a downgrade credited to the next invoice. Only after the customer confirmed the preview.',
    effect: 'write',
    input: z.strictObject({ subscription_id: recordId, plan: planId }),
    output: changePlanOutput,
    idempotencyKey: (input) => `change_plan:${input.subscription_id}:${input.plan}`,
  }),
  cancelSubscription: defineContract({
    connector: 'billing',
    name: 'cancel_subscription',
    description:
      'Cancels the subscription, by default at the end of the current period (it stays active until then); at_period_end false cancels it now. Only after the customer confirmed.',
    effect: 'write',
    input: z.strictObject({ subscription_id: recordId, at_period_end: z.boolean().default(true) }),
    output: z.object({
      subscription_id: z.string(),
      status: z.enum(['active', 'trialing', 'past_due', 'cancelled']),
      cancel_at_period_end: z.boolean(),
      cancelled_at: isoDateTime.nullable(),
      period_end: isoDate,
      /** When service ends: the period end, or now for an immediate cancellation. */
      ends_on: isoDate,
      /** True when nothing changed because the subscription was already cancelled this way (or more). */
      already_cancelled: z.boolean(),
    }),
    idempotencyKey: (input) => `cancel:${input.subscription_id}`,
  }),
  retryPayment: defineContract({
    connector: 'billing',
    name: 'retry_payment',
    description:
      'Schedules a retry of a failed payment (in one hour, so the customer can update the card first). Returns the retry already scheduled, if any.',
    effect: 'write',
    input: z.strictObject({ payment_id: recordId }),
    output: z.object({
      retry_id: z.string(),
      payment_id: z.string(),
      scheduled_for: isoDateTime,
      status: z.literal('scheduled'),
      already_scheduled: z.boolean(),
    }),
    idempotencyKey: (input) => `retry_payment:${input.payment_id}`,
  }),
  sendPaymentLink: defineContract({
    connector: 'billing',
    name: 'send_payment_link',
    description:
      "Creates a secure link (valid 24 hours) where the customer updates their payment method; returns the URL to email to the customer's verified address.",
    effect: 'write',
    input: z.strictObject({ contact_id: recordId }),
    output: z.object({ link_id: z.string(), url: z.string(), expires_at: isoDateTime, reused: z.boolean() }),
    // The key has no clock of its own: the day is the real one (the link's day is the world's, below).
    idempotencyKey: (input) => `payment_link:${input.contact_id}:${utcDate(new Date())}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
  }),
};
