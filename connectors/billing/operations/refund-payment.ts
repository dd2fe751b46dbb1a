import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { ownerOfPayment } from '../ownership.ts';
import { type PaymentRow, readPayment, refundWindowEnd } from '../payment-view.ts';
import { billingNumbers } from '../policy.ts';
import { authorOf, toIso, utcDate } from '../schemas.ts';

type Output = z.infer<typeof billing.refundPayment.output>;

/**
 * `billing.refund_payment`: refunds (part of) a succeeded payment inside the refund window.
 * Runs in one transaction holding the payment's row lock, so concurrent or retried calls for the
 * same payment see each other's refunds and never refund more than was paid.
 */
export function createRefundPaymentOperation({ db }: { db: pg.Pool }) {
  return implement(billing.refundPayment, {
    scopes: ['billing.refund'],
    timeoutMs: 10_000,
    ownership: { ownerOf: (input, queryable) => ownerOfPayment(queryable, input.payment_id) },
    async run(input, context) {
      const now = context.now();
      return withTransaction(db, async (client) => {
        const payment = await readPayment(client, input.payment_id, { lock: true });
        if (!payment) throw new ConnectorError('not_found', `No payment ${input.payment_id}.`);
        const remaining = payment.amount_cents - payment.refunded_cents;
        // The refund id follows from the call's idempotency key, so a call re-sent under the same key
        // (a retry after a timeout, or the take-over of a worker that died after refunding but before
        // recording it) finds its own refund, even when the payment could still cover a second one.
        const refundId = context.idempotencyKey
          ? refundIdFor(context.idempotencyKey)
          : `re_${randomBytes(8).toString('hex')}`;
        if (context.idempotencyKey) {
          const own = await findSameRefund(client, payment, input.amount_cents, refundId);
          if (own) return own;
        }
        if (remaining < input.amount_cents) {
          const earlier = await findSameRefund(client, payment, input.amount_cents);
          if (earlier) return { ...earlier, earlier_refund: true };
        }
        if (payment.status !== 'succeeded' && payment.status !== 'partially_refunded') {
          const why =
            payment.status === 'refunded'
              ? 'has already been fully refunded'
              : `is ${payment.status}, not a completed charge`;
          throw new ConnectorError(
            'invalid_input',
            `Payment ${payment.id} ${why}; there is nothing to refund.`,
          );
        }
        const windowEnd = refundWindowEnd(new Date(payment.created_at), context.policy);
        if (now.getTime() > windowEnd.getTime()) {
          throw new ConnectorError(
            'invalid_input',
            `Payment ${payment.id} was made on ${utcDate(new Date(payment.created_at))}, outside the ${billingNumbers(context.policy).refund_window_days}-day refund window (it closed on ${utcDate(windowEnd)}). Refund policy: refunds within ${billingNumbers(context.policy).refund_window_days} days of payment.`,
          );
        }
        if (input.amount_cents > remaining) {
          throw new ConnectorError(
            'invalid_input',
            `Refund of ${input.amount_cents} cents exceeds what is left to refund on payment ${payment.id} (${remaining} of ${payment.amount_cents} cents).`,
          );
        }

        const refundedTotal = payment.refunded_cents + input.amount_cents;
        const status = refundedTotal >= payment.amount_cents ? 'refunded' : 'partially_refunded';
        await client.query(
          `INSERT INTO refunds (id, payment_id, amount_cents, reason, status, created_by, created_at)
           VALUES ($1, $2, $3, $4, 'succeeded', $5, $6)`,
          [refundId, payment.id, input.amount_cents, input.reason, authorOf(context.session), now],
        );
        await client.query('UPDATE payments SET status = $2 WHERE id = $1', [payment.id, status]);
        await markInvoiceRefundedWhenNothingIsPaid(client, payment.invoice_id);
        context.signal.throwIfAborted();
        return {
          refund_id: refundId,
          payment_id: payment.id,
          invoice_id: payment.invoice_id,
          amount_cents: input.amount_cents,
          payment_status: status,
          refunded_total_cents: refundedTotal,
          remaining_refundable_cents: payment.amount_cents - refundedTotal,
          created_at: now.toISOString(),
          already_refunded: false,
          earlier_refund: false,
        } satisfies Output;
      });
    },
  });
}

/** The id of the refund made under an idempotency key: the same key always names the same refund. */
export const refundIdFor = (idempotencyKey: string): string =>
  `re_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 16)}`;

/**
 * A retried refund finds the payment already refunded by its own earlier attempt: the refund of
 * exactly this amount (with `refundId`, that very refund) is reported instead of failing or refunding
 * twice, so a retry is indistinguishable from success. Without `refundId` the refund found may be
 * another request's: the caller marks it `earlier_refund`.
 */
async function findSameRefund(
  client: pg.PoolClient,
  payment: PaymentRow,
  amount: number,
  refundId?: string,
): Promise<Output | null> {
  const { rows } = await client.query<{ id: string; created_at: Date }>(
    `SELECT id, created_at FROM refunds
     WHERE payment_id = $1 AND amount_cents = $2 AND status <> 'failed' AND ($3::text IS NULL OR id = $3)
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [payment.id, amount, refundId ?? null],
  );
  const refund = rows[0];
  if (!refund) return null;
  return {
    refund_id: refund.id,
    payment_id: payment.id,
    invoice_id: payment.invoice_id,
    amount_cents: amount,
    payment_status: payment.refunded_cents >= payment.amount_cents ? 'refunded' : 'partially_refunded',
    refunded_total_cents: payment.refunded_cents,
    remaining_refundable_cents: payment.amount_cents - payment.refunded_cents,
    created_at: toIso(refund.created_at),
    already_refunded: true,
    earlier_refund: false,
  };
}

/** A paid invoice whose charges were all refunded becomes `refunded` (a refunded duplicate leaves it paid). */
async function markInvoiceRefundedWhenNothingIsPaid(client: pg.PoolClient, invoiceId: string): Promise<void> {
  await client.query(
    `UPDATE invoices SET status = 'refunded'
     WHERE id = $1 AND status = 'paid'
       AND (SELECT COALESCE(sum(p.amount_cents), 0) FROM payments p
            WHERE p.invoice_id = $1 AND p.status IN ('succeeded', 'partially_refunded', 'refunded'))
         <= (SELECT COALESCE(sum(r.amount_cents), 0) FROM refunds r JOIN payments p ON p.id = r.payment_id
             WHERE p.invoice_id = $1 AND r.status <> 'failed')`,
    [invoiceId],
  );
}
