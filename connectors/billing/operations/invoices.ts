import type pg from 'pg';
import type { z } from 'zod';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing, type invoiceStatus, type invoiceSummary } from '../contract.ts';
import { ownerOfInvoice } from '../ownership.ts';
import { toIso } from '../schemas.ts';

interface InvoiceRow {
  id: string;
  account_id: string;
  subscription_id: string | null;
  amount_cents: number;
  currency: string;
  status: z.infer<typeof invoiceStatus>;
  issued_at: string;
  due_at: string | null;
  description: string | null;
}

const invoiceSelect = `SELECT id, account_id, subscription_id, amount_cents, currency, status,
  issued_at::text AS issued_at, due_at::text AS due_at, description FROM invoices`;

const toSummary = (row: InvoiceRow): z.infer<typeof invoiceSummary> => ({
  id: row.id,
  subscription_id: row.subscription_id,
  amount_cents: row.amount_cents,
  currency: row.currency,
  status: row.status,
  issued_at: row.issued_at,
  due_at: row.due_at,
  description: row.description,
});

/** `billing.list_invoices`: the customer's invoices, newest first. */
export function createListInvoicesOperation({ db }: { db: pg.Pool }) {
  return implement(billing.listInvoices, {
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    async run(input) {
      const { rows } = await db.query<InvoiceRow>(
        `${invoiceSelect} WHERE account_id = $1 ORDER BY issued_at DESC, id DESC LIMIT $2`,
        [input.account_id, input.limit],
      );
      return { invoices: rows.map(toSummary) };
    },
  });
}

/** `billing.get_invoice`: one of the customer's invoices with its payments and refunded total. */
export function createGetInvoiceOperation({ db }: { db: pg.Pool }) {
  return implement(billing.getInvoice, {
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    ownership: { ownerOf: (input, queryable) => ownerOfInvoice(queryable, input.invoice_id) },
    async run(input) {
      const { rows } = await db.query<InvoiceRow>(`${invoiceSelect} WHERE id = $1`, [input.invoice_id]);
      const invoice = rows[0];
      if (!invoice) throw new ConnectorError('not_found', `No invoice ${input.invoice_id}.`);
      const payments = await db.query<{
        id: string;
        amount_cents: number;
        status: string;
        created_at: Date;
        card_last4: string | null;
        refunded_cents: number;
      }>(
        `SELECT p.id, p.amount_cents, p.status, p.created_at, p.card_last4,
           COALESCE((SELECT sum(r.amount_cents) FROM refunds r WHERE r.payment_id = p.id AND r.status <> 'failed'), 0)::int AS refunded_cents
         FROM payments p WHERE p.invoice_id = $1 ORDER BY p.created_at, p.id`,
        [input.invoice_id],
      );
      return {
        ...toSummary(invoice),
        account_id: invoice.account_id,
        refunded_cents: payments.rows.reduce((sum, payment) => sum + payment.refunded_cents, 0),
        payments: payments.rows.map((payment) => ({
          id: payment.id,
          amount_cents: payment.amount_cents,
          status: payment.status,
          created_at: toIso(payment.created_at),
          card_last4: payment.card_last4,
        })),
      };
    },
  });
}
