import { z } from 'zod';
import { defineTemplate, formatDate, formatDateTime, formatMoney } from './render.ts';

const cents = z.number().int().min(0);
const currency = z
  .string()
  .regex(/^[a-zA-Z]{3}$/)
  .default('usd');
const planName = z.string().min(1).max(40);
const capitalised = (plan: string) => plan.charAt(0).toUpperCase() + plan.slice(1);

/** Confirmation of a refund (billing.duplicate_charge, billing.refund_request). */
export const refundIssued = defineTemplate({
  name: 'refund_issued',
  description: 'A refund was issued.',
  variables: z.object({
    amount_cents: cents.min(1),
    currency,
    payment_id: z.string().min(1).optional(),
    invoice_id: z.string().min(1).optional(),
    refund_id: z.string().min(1).optional(),
    reason: z.string().max(200).optional(),
  }),
  render: (v) => ({
    subject: `Your refund of ${formatMoney(v.amount_cents, v.currency)} has been issued`,
    blocks: [
      {
        kind: 'paragraph',
        text: `We have refunded ${formatMoney(v.amount_cents, v.currency)} to your original payment method. It usually appears within 5–10 business days.`,
      },
      {
        kind: 'facts',
        rows: [
          ['Amount', formatMoney(v.amount_cents, v.currency)],
          ...(v.invoice_id ? [['Invoice', v.invoice_id] as [string, string]] : []),
          ...(v.payment_id ? [['Payment', v.payment_id] as [string, string]] : []),
          ...(v.refund_id ? [['Refund reference', v.refund_id] as [string, string]] : []),
          ...(v.reason ? [['Reason', v.reason] as [string, string]] : []),
        ],
      },
    ],
  }),
});

/** A copy of an invoice (billing.invoice_copy). */
export const invoiceCopy = defineTemplate({
  name: 'invoice_copy',
  description: 'A copy of one invoice.',
  variables: z.object({
    invoice_id: z.string().min(1),
    amount_cents: cents,
    currency,
    issued_at: z.iso.date(),
    status: z.string().min(1).max(20),
    due_at: z.iso.date().optional(),
    description: z.string().max(200).optional(),
  }),
  render: (v) => ({
    subject: `Your invoice ${v.invoice_id}`,
    blocks: [
      { kind: 'paragraph', text: `Here is a copy of invoice ${v.invoice_id}, as you asked.` },
      {
        kind: 'facts',
        rows: [
          ['Invoice', v.invoice_id],
          ['Issued', formatDate(v.issued_at)],
          ['Amount', formatMoney(v.amount_cents, v.currency)],
          ['Status', v.status],
          ...(v.due_at ? [['Due', formatDate(v.due_at)] as [string, string]] : []),
          ...(v.description ? [['Description', v.description] as [string, string]] : []),
        ],
      },
    ],
  }),
});

/** The link to update a payment method after a failed payment (billing.payment_failed). */
export const paymentLink = defineTemplate({
  name: 'payment_link',
  description: 'A secure link to update the payment method.',
  variables: z.object({
    url: z.url({ protocol: /^https?$/ }),
    expires_at: z.iso.datetime({ offset: true }),
    invoice_id: z.string().min(1).optional(),
    amount_cents: cents.optional(),
    currency,
    retry_at: z.iso.datetime({ offset: true }).optional(),
  }),
  render: (v, context) => ({
    subject: 'Update your payment method',
    blocks: [
      {
        kind: 'paragraph',
        text: `Your last payment${v.invoice_id ? ` for invoice ${v.invoice_id}` : ''}${v.amount_cents !== undefined ? ` (${formatMoney(v.amount_cents, v.currency)})` : ''} did not go through. Please update your payment method with this secure link.`,
      },
      { kind: 'link', label: 'Update payment method', url: v.url },
      {
        kind: 'facts',
        rows: [
          ['Link expires', formatDateTime(v.expires_at, context.contact.timezone)],
          ...(v.retry_at
            ? [
                ['Next payment attempt', formatDateTime(v.retry_at, context.contact.timezone)] as [
                  string,
                  string,
                ],
              ]
            : []),
        ],
      },
    ],
  }),
});

/** Confirmation of a plan change (billing.change_plan). */
export const planChanged = defineTemplate({
  name: 'plan_changed',
  description: 'The subscription moved to another plan.',
  variables: z.object({
    from_plan: planName,
    to_plan: planName,
    proration_cents: z.number().int(),
    currency,
    effective_at: z.iso.date().optional(),
  }),
  render: (v) => ({
    subject: `Your plan has changed to ${capitalised(v.to_plan)}`,
    blocks: [
      {
        kind: 'paragraph',
        text: `Your subscription has moved from ${capitalised(v.from_plan)} to ${capitalised(v.to_plan)}.`,
      },
      {
        kind: 'facts',
        rows: [
          [
            v.proration_cents >= 0 ? 'Prorated charge' : 'Prorated credit',
            formatMoney(Math.abs(v.proration_cents), v.currency),
          ],
          ...(v.effective_at ? [['Effective', formatDate(v.effective_at)] as [string, string]] : []),
        ],
      },
    ],
  }),
});

/** Confirmation of a cancellation at period end (billing.cancel_subscription). */
export const subscriptionCancelled = defineTemplate({
  name: 'subscription_cancelled',
  description: 'The subscription will end at the end of the period.',
  variables: z.object({
    subscription_id: z.string().min(1),
    plan: planName.optional(),
    period_end: z.iso.date(),
  }),
  render: (v) => ({
    subject: 'Your subscription has been cancelled',
    blocks: [
      {
        kind: 'paragraph',
        text: `Your ${v.plan ? `${capitalised(v.plan)} ` : ''}subscription is cancelled and stays active until ${formatDate(v.period_end)}. You will not be charged again.`,
      },
      { kind: 'facts', rows: [['Subscription', v.subscription_id]] },
    ],
  }),
});
