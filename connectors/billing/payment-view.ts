import { z } from 'zod';
import type { PolicyNumbers } from '../core/definition.ts';
import type { Queryable } from '../core/queryable.ts';
import { explainFailure } from './failure-reasons.ts';
import { billingNumbers } from './policy.ts';
import { cents, isoDateTime, toIso } from './schemas.ts';

const dayMs = 86_400_000;

/** A payment as the agent sees it: amounts, refund state, refund window, failure explained. */
export const paymentView = z.object({
  id: z.string(),
  invoice_id: z.string(),
  amount_cents: cents,
  status: z.enum(['succeeded', 'failed', 'pending', 'refunded', 'partially_refunded']),
  created_at: isoDateTime,
  card_last4: z.string().nullable(),
  refunded_cents: cents,
  refundable_cents: cents,
  refund_window_ends_at: isoDateTime,
  within_refund_window: z.boolean(),
  failure_reason: z.string().nullable(),
  failure_explanation: z.string().nullable(),
  customer_action: z.string().nullable(),
});
export type PaymentView = z.infer<typeof paymentView>;

/** A payment row with its refunded total, as `selectPayments` returns it. */
export interface PaymentRow {
  id: string;
  invoice_id: string;
  account_id: string;
  amount_cents: number;
  status: PaymentView['status'];
  failure_reason: string | null;
  card_last4: string | null;
  created_at: Date;
  refunded_cents: number;
}

/** Payments joined with their invoice's account and the sum of their non-failed refunds. */
export const paymentSelect = `
  SELECT p.id, p.invoice_id, i.account_id, p.amount_cents, p.status, p.failure_reason, p.card_last4, p.created_at,
    COALESCE((SELECT sum(r.amount_cents) FROM refunds r WHERE r.payment_id = p.id AND r.status <> 'failed'), 0)::int
      AS refunded_cents
  FROM payments p JOIN invoices i ON i.id = p.invoice_id`;

/**
 * Reads one payment, or null. With `lock` (inside a transaction) the row is locked first and read
 * by a second statement: under READ COMMITTED that statement's fresh snapshot sees the refunds a
 * concurrent transaction committed while we waited for the lock.
 */
export async function readPayment(db: Queryable, paymentId: string, options: { lock?: boolean } = {}) {
  if (options.lock) await db.query('SELECT id FROM payments WHERE id = $1 FOR UPDATE', [paymentId]);
  const { rows } = await db.query<PaymentRow>(`${paymentSelect} WHERE p.id = $1`, [paymentId]);
  return rows[0] ?? null;
}

/** When a payment stops being refundable under the world's refund window. */
export function refundWindowEnd(createdAt: Date, policy: PolicyNumbers): Date {
  return new Date(createdAt.getTime() + billingNumbers(policy).refund_window_days * dayMs);
}

/** Maps a payment row to the view, with the refund window judged at `now`. */
export function toPaymentView(row: PaymentRow, now: Date, policy: PolicyNumbers): PaymentView {
  const windowEnd = refundWindowEnd(new Date(row.created_at), policy);
  const charged = row.status === 'succeeded' || row.status === 'partially_refunded';
  const failure = explainFailure(row.failure_reason);
  return {
    id: row.id,
    invoice_id: row.invoice_id,
    amount_cents: row.amount_cents,
    status: row.status,
    created_at: toIso(row.created_at),
    card_last4: row.card_last4,
    refunded_cents: row.refunded_cents,
    refundable_cents: charged ? Math.max(0, row.amount_cents - row.refunded_cents) : 0,
    refund_window_ends_at: windowEnd.toISOString(),
    within_refund_window: now.getTime() <= windowEnd.getTime(),
    failure_reason: row.failure_reason,
    failure_explanation: failure?.explanation ?? null,
    customer_action: failure?.customer_action ?? null,
  };
}
