import type pg from 'pg';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { readPolicy } from '../../db/world/policy.ts';
import type { ChaosContact } from './customers.ts';

/**
 * The customers of a chaos run, from the seeded demo world. The demo world has only a handful of
 * duplicate charges, and a payment can be refunded once: each refund conversation gets an account of
 * its own to which the run adds a duplicate charge (the month's payment taken again 9 s later, under the
 * auto-refund limit, inside the refund window), so every refund is attributable to one conversation.
 * The named demo customers (edge cases) are left out; every other conversation gets a contact of its own.
 */
export async function prepareContacts(
  pool: pg.Pool,
  needed: { refunds: number; others: number },
): Promise<{ refund: ChaosContact[]; other: ChaosContact[] }> {
  const policy = await readPolicy(pool);
  const demoAccounts = Object.values(demoCustomers).map((customer) => customer.account);
  const { rows: charges } = await pool.query<{
    account_id: string;
    contact_id: string;
    email: string;
    payment_id: string;
    invoice_id: string;
  }>(
    `SELECT DISTINCT ON (i.account_id) i.account_id, ct.id AS contact_id, ct.email, p.id AS payment_id, i.id AS invoice_id
       FROM payments p JOIN invoices i ON i.id = p.invoice_id
       JOIN LATERAL (SELECT id, email FROM contacts WHERE account_id = i.account_id ORDER BY id LIMIT 1) ct ON true
      WHERE p.status = 'succeeded' AND p.amount_cents > 0 AND p.amount_cents <= $1
        AND p.created_at > now() - make_interval(days => $2) AND NOT (i.account_id = ANY($3))
        AND (SELECT count(*) FROM payments q WHERE q.invoice_id = p.invoice_id) = 1
      ORDER BY i.account_id, p.created_at DESC`,
    [policy.auto_refund_limit_cents, Math.max(1, policy.refund_window_days - 5), demoAccounts],
  );
  if (charges.length < needed.refunds)
    throw new Error(
      `the demo world has ${charges.length} accounts with a recent charge under the auto-refund limit; ${needed.refunds} refund conversations need one each (run fewer --conversations)`,
    );
  const refund: ChaosContact[] = [];
  for (const [index, charge] of charges.slice(0, needed.refunds).entries()) {
    const duplicatePaymentId = `pay_chaos_${String(index + 1).padStart(4, '0')}`;
    await pool.query(
      `INSERT INTO payments (id, invoice_id, amount_cents, status, card_last4, created_at)
       SELECT $1, invoice_id, amount_cents, 'succeeded', card_last4, created_at + interval '9 seconds'
         FROM payments WHERE id = $2`,
      [duplicatePaymentId, charge.payment_id],
    );
    refund.push({
      contactId: charge.contact_id,
      accountId: charge.account_id,
      email: charge.email,
      duplicatePaymentId,
      invoiceId: charge.invoice_id,
    });
  }
  const { rows: others } = await pool.query<{ id: string; account_id: string; email: string }>(
    // Accounts with a paid invoice: an invoice copy needs one to send.
    `SELECT id, account_id, email FROM contacts c
      WHERE NOT (account_id = ANY($1))
        AND EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = c.account_id AND i.status = 'paid')
      ORDER BY id LIMIT $2`,
    [[...demoAccounts, ...refund.map((contact) => contact.accountId)], needed.others],
  );
  if (others.length < needed.others)
    throw new Error(`the demo world has ${others.length} spare contacts; ${needed.others} are needed`);
  return {
    refund,
    other: others.map((row) => ({ contactId: row.id, accountId: row.account_id, email: row.email })),
  };
}
