import type { Queryable } from '../core/queryable.ts';

/** The account that owns a payment (through its invoice), or null when there is no such payment. */
export async function ownerOfPayment(db: Queryable, paymentId: string): Promise<string | null> {
  const { rows } = await db.query<{ account_id: string }>(
    'SELECT i.account_id FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.id = $1',
    [paymentId],
  );
  return rows[0]?.account_id ?? null;
}

/** The account that owns an invoice, or null when there is no such invoice. */
export async function ownerOfInvoice(db: Queryable, invoiceId: string): Promise<string | null> {
  const { rows } = await db.query<{ account_id: string }>('SELECT account_id FROM invoices WHERE id = $1', [
    invoiceId,
  ]);
  return rows[0]?.account_id ?? null;
}

/** The account that owns a subscription, or null when there is no such subscription. */
export async function ownerOfSubscription(db: Queryable, subscriptionId: string): Promise<string | null> {
  const { rows } = await db.query<{ account_id: string }>(
    'SELECT account_id FROM subscriptions WHERE id = $1',
    [subscriptionId],
  );
  return rows[0]?.account_id ?? null;
}
