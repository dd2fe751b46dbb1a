import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { ownerOfInvoice, ownerOfPayment } from '../ownership.ts';
import { type PaymentRow, paymentSelect, readPayment, toPaymentView } from '../payment-view.ts';

/** `billing.list_payments`: the customer's payments, newest first, optionally of one invoice. */
export function createListPaymentsOperation({ db }: { db: pg.Pool }) {
  return implement(billing.listPayments, {
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    // Without an invoice the input names only the (session-bound) account itself.
    ownership: {
      ownerOf: async (value, queryable) =>
        value.invoice_id ? ownerOfInvoice(queryable, value.invoice_id) : (value.account_id ?? null),
    },
    async run(value, context) {
      // The account filter stays even with an invoice: a foreign invoice id lists nothing.
      const { rows } = await db.query<PaymentRow>(
        `${paymentSelect} WHERE i.account_id = $1 AND ($2::text IS NULL OR p.invoice_id = $2)
         ORDER BY p.created_at DESC, p.id DESC LIMIT $3`,
        [value.account_id, value.invoice_id ?? null, value.limit],
      );
      return { payments: rows.map((row) => toPaymentView(row, context.now(), context.policy)) };
    },
  });
}

/** `billing.get_payment`: one payment with its refund state and, when it failed, why in words. */
export function createGetPaymentOperation({ db }: { db: pg.Pool }) {
  return implement(billing.getPayment, {
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    ownership: { ownerOf: (value, queryable) => ownerOfPayment(queryable, value.payment_id) },
    async run(value, context) {
      const row = await readPayment(db, value.payment_id);
      if (!row) throw new ConnectorError('not_found', `No payment ${value.payment_id}.`);
      return toPaymentView(row, context.now(), context.policy);
    },
  });
}
