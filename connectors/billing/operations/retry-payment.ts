import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { ownerOfPayment } from '../ownership.ts';
import { readPayment } from '../payment-view.ts';
import { toIso } from '../schemas.ts';

/** How long after the request a scheduled retry runs: time for the customer to update the card. */
const retryDelayMs = 60 * 60 * 1000;

/**
 * `billing.retry_payment`: schedules a new attempt of a failed payment. At most one retry is
 * scheduled per payment: asking again returns the one already scheduled.
 */
export function createRetryPaymentOperation({ db }: { db: pg.Pool }) {
  return implement(billing.retryPayment, {
    scopes: ['billing.write'],
    timeoutMs: 10_000,
    ownership: { ownerOf: (input, queryable) => ownerOfPayment(queryable, input.payment_id) },
    async run(input, context) {
      const now = context.now();
      return withTransaction(db, async (client) => {
        const payment = await readPayment(client, input.payment_id, { lock: true });
        if (!payment) throw new ConnectorError('not_found', `No payment ${input.payment_id}.`);
        const scheduled = await client.query<{ id: string; scheduled_for: Date }>(
          `SELECT id, scheduled_for FROM payment_retries WHERE payment_id = $1 AND status = 'scheduled'
           ORDER BY created_at DESC LIMIT 1`,
          [payment.id],
        );
        const existing = scheduled.rows[0];
        if (existing) {
          return {
            retry_id: existing.id,
            payment_id: payment.id,
            scheduled_for: toIso(existing.scheduled_for),
            status: 'scheduled' as const,
            already_scheduled: true,
          };
        }
        if (payment.status !== 'failed') {
          throw new ConnectorError(
            'invalid_input',
            `Payment ${payment.id} is ${payment.status}; only failed payments can be retried.`,
          );
        }
        const invoice = await client.query<{ status: string }>('SELECT status FROM invoices WHERE id = $1', [
          payment.invoice_id,
        ]);
        if (invoice.rows[0]?.status === 'paid') {
          throw new ConnectorError(
            'invalid_input',
            `Invoice ${payment.invoice_id} has been paid since; no retry is needed.`,
          );
        }
        const retryId = `rt_${randomBytes(8).toString('hex')}`;
        const scheduledFor = new Date(now.getTime() + retryDelayMs);
        await client.query(
          `INSERT INTO payment_retries (id, payment_id, scheduled_for, status, created_at) VALUES ($1, $2, $3, 'scheduled', $4)`,
          [retryId, payment.id, scheduledFor, now],
        );
        context.signal.throwIfAborted();
        return {
          retry_id: retryId,
          payment_id: payment.id,
          scheduled_for: scheduledFor.toISOString(),
          status: 'scheduled' as const,
          already_scheduled: false,
        };
      });
    },
  });
}
