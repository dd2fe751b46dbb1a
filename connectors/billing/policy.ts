import type { PolicyNumbers } from '../core/definition.ts';
import type { ConnectorPolicyInput } from '../core/policy.ts';

/** Billing's policy numbers (docs/product.md, "Policy numbers"); an installation or eval world may override them. */
export type BillingPolicyNumbers = {
  /** Refunds up to this amount are issued without a person's approval. */
  auto_refund_limit_cents: number;
  /** Payments can be refunded this many days after they were made. */
  refund_window_days: number;
};

/** The published policy: refunds within 30 days; up to $200 issued automatically. */
export const billingPolicyNumbers: BillingPolicyNumbers = {
  auto_refund_limit_cents: 20_000,
  refund_window_days: 30,
};

/** Billing's numbers out of the installation's (the gateway fills them from `billingPolicyNumbers`). */
export function billingNumbers(numbers: PolicyNumbers): BillingPolicyNumbers {
  return {
    auto_refund_limit_cents: numbers.auto_refund_limit_cents ?? billingPolicyNumbers.auto_refund_limit_cents,
    refund_window_days: numbers.refund_window_days ?? billingPolicyNumbers.refund_window_days,
  };
}

/**
 * The billing connector's default policy: what each operation's output may show, enterprise plan
 * changes and cancellations handed to a person, and refunds above the world's auto-refund limit
 * held for a human's approval.
 */
export const billingPolicy = {
  allowedOperations: [
    'get_subscription',
    'list_invoices',
    'get_invoice',
    'list_payments',
    'get_payment',
    'find_duplicate_charges',
    'preview_plan_change',
    'refund_payment',
    'change_plan',
    'cancel_subscription',
    'retry_payment',
    'send_payment_link',
  ],
  fields: {
    get_subscription: {
      allow: [
        'id',
        'status',
        'plan.id',
        'plan.name',
        'plan.price_cents',
        'period_start',
        'period_end',
        'cancel_at_period_end',
        'cancelled_at',
      ],
    },
    list_invoices: {
      allow: [
        'invoices[].id',
        'invoices[].subscription_id',
        'invoices[].amount_cents',
        'invoices[].currency',
        'invoices[].status',
        'invoices[].issued_at',
        'invoices[].due_at',
        'invoices[].description',
      ],
    },
    get_invoice: {
      allow: [
        'id',
        'subscription_id',
        'amount_cents',
        'currency',
        'status',
        'issued_at',
        'due_at',
        'description',
        'refunded_cents',
        'payments[].id',
        'payments[].amount_cents',
        'payments[].status',
        'payments[].created_at',
        'payments[].card_last4',
      ],
    },
    list_payments: {
      allow: [
        'payments[].id',
        'payments[].invoice_id',
        'payments[].amount_cents',
        'payments[].status',
        'payments[].created_at',
        'payments[].card_last4',
        'payments[].refunded_cents',
        'payments[].refundable_cents',
        'payments[].refund_window_ends_at',
        'payments[].within_refund_window',
        'payments[].failure_reason',
        'payments[].failure_explanation',
        'payments[].customer_action',
      ],
    },
    get_payment: {
      allow: [
        'id',
        'invoice_id',
        'amount_cents',
        'status',
        'created_at',
        'card_last4',
        'refunded_cents',
        'refundable_cents',
        'refund_window_ends_at',
        'within_refund_window',
        'failure_reason',
        'failure_explanation',
        'customer_action',
      ],
    },
    find_duplicate_charges: {
      allow: [
        'duplicates[].payment_id',
        'duplicates[].original_payment_id',
        'duplicates[].invoice_id',
        'duplicates[].amount_cents',
        'duplicates[].created_at',
        'duplicates[].within_refund_window',
        'duplicates[].refund_window_ends_at',
      ],
    },
    preview_plan_change: {
      allow: [
        'subscription_id',
        'from_plan',
        'to_plan',
        'direction',
        'current_price_cents',
        'new_price_cents',
        'days_in_period',
        'days_remaining',
        'amount_due_now_cents',
        'credit_cents',
        'effective_on',
        'period_end',
      ],
    },
    refund_payment: {
      allow: [
        'refund_id',
        'payment_id',
        'invoice_id',
        'amount_cents',
        'payment_status',
        'refunded_total_cents',
        'remaining_refundable_cents',
        'created_at',
        'already_refunded',
        'earlier_refund',
      ],
    },
    change_plan: {
      allow: [
        'plan_change_id',
        'subscription_id',
        'from_plan',
        'to_plan',
        'direction',
        'amount_charged_cents',
        'credit_cents',
        'invoice_id',
        'payment_id',
        'credit_id',
        'effective_on',
        'already_applied',
      ],
    },
    cancel_subscription: {
      allow: [
        'subscription_id',
        'status',
        'cancel_at_period_end',
        'cancelled_at',
        'period_end',
        'ends_on',
        'already_cancelled',
      ],
    },
    retry_payment: { allow: ['retry_id', 'payment_id', 'scheduled_for', 'status', 'already_scheduled'] },
    send_payment_link: { allow: ['link_id', 'url', 'expires_at', 'reused'] },
  },
  segmentRules: [
    {
      // Enterprise contracts change through the account owner (docs/product.md: escalate, policy_requires_human).
      name: 'enterprise plan changes and cancellations go to the account owner',
      tiers: ['enterprise'],
      operations: ['change_plan', 'cancel_subscription'],
      action: 'human_only',
    },
  ],
  actionLimits: [
    { operation: 'refund_payment', field: 'amount_cents', max: { policy: 'auto_refund_limit_cents' } },
  ],
} satisfies ConnectorPolicyInput;
