import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { billing } from '../contract.ts';
import { ownerOfInvoice } from '../ownership.ts';
import { refundWindowEnd } from '../payment-view.ts';
import { toIso } from '../schemas.ts';

/**
 * `billing.find_duplicate_charges`: succeeded, not-refunded payments that repeat an earlier
 * standing payment of the same invoice and amount within 24 hours. Monthly charges are separate
 * invoices, so they never match.
 */
export function createFindDuplicateChargesOperation({ db }: { db: pg.Pool }) {
  return implement(billing.findDuplicateCharges, {
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    ownership: {
      ownerOf: async (value, queryable) =>
        value.invoice_id ? ownerOfInvoice(queryable, value.invoice_id) : (value.account_id ?? null),
    },
    async run(value, context) {
      const { rows } = await db.query<{
        payment_id: string;
        original_payment_id: string;
        invoice_id: string;
        amount_cents: number;
        created_at: Date;
      }>(
        `SELECT d.id AS payment_id, o.id AS original_payment_id, d.invoice_id, d.amount_cents, d.created_at
         FROM payments d
         JOIN invoices i ON i.id = d.invoice_id
         CROSS JOIN LATERAL (
           SELECT e.id FROM payments e
           WHERE e.invoice_id = d.invoice_id AND e.amount_cents = d.amount_cents AND e.id <> d.id
             AND e.status IN ('succeeded', 'partially_refunded')
             AND (e.created_at < d.created_at OR (e.created_at = d.created_at AND e.id < d.id))
             AND e.created_at >= d.created_at - interval '24 hours'
           ORDER BY e.created_at, e.id LIMIT 1
         ) o
         WHERE i.account_id = $1 AND ($2::text IS NULL OR d.invoice_id = $2) AND d.status = 'succeeded'
           AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = d.id AND r.status <> 'failed')
         ORDER BY d.created_at, d.id`,
        [value.account_id, value.invoice_id ?? null],
      );
      const now = context.now().getTime();
      return {
        duplicates: rows.map((row) => {
          const windowEnd = refundWindowEnd(new Date(row.created_at), context.policy);
          return {
            payment_id: row.payment_id,
            original_payment_id: row.original_payment_id,
            invoice_id: row.invoice_id,
            amount_cents: row.amount_cents,
            created_at: toIso(row.created_at),
            within_refund_window: now <= windowEnd.getTime(),
            refund_window_ends_at: windowEnd.toISOString(),
          };
        }),
      };
    },
  });
}
