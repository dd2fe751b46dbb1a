import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { billing } from '../contract.ts';
import { ownerOfSubscription } from '../ownership.ts';
import { type PlanChangeQuote, quotePlanChange, requireSubscription } from '../plan-change-quote.ts';
import { type PlanId, utcDate } from '../schemas.ts';
import type { SubscriptionView } from '../subscription-view.ts';

const dayMs = 86_400_000;

type Output = z.infer<typeof billing.changePlan.output>;

/**
 * `billing.change_plan`: applies the proration `preview_plan_change` showed (recomputed under the
 * subscription's row lock), moves the subscription and the account's tier, and charges the card on
 * file (upgrade) or credits the next invoice (downgrade).
 */
export function createChangePlanOperation({ db }: { db: pg.Pool }) {
  return implement(billing.changePlan, {
    scopes: ['billing.write'],
    timeoutMs: 10_000,
    ownership: { ownerOf: (input, queryable) => ownerOfSubscription(queryable, input.subscription_id) },
    async run(input, context) {
      const now = context.now();
      return withTransaction(db, async (client) => {
        const subscription = await requireSubscription(client, input.subscription_id, { lock: true });
        if (subscription.plan.id === input.plan) {
          const earlier = await findRecentChange(client, subscription, input.plan, now);
          if (earlier) return earlier;
        }
        const quote = await quotePlanChange(client, subscription, input.plan, now);
        const changeId = `pc_${randomBytes(8).toString('hex')}`;
        const signed = quote.amount_due_now_cents - quote.credit_cents;
        await client.query(
          `INSERT INTO plan_changes (id, subscription_id, from_plan, to_plan, proration_cents, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [changeId, subscription.id, quote.from_plan, quote.to_plan, signed, now],
        );
        await client.query('UPDATE subscriptions SET plan_id = $2 WHERE id = $1', [
          subscription.id,
          quote.to_plan,
        ]);
        await client.query('UPDATE accounts SET tier = $2 WHERE id = $1', [
          subscription.account_id,
          quote.to_plan,
        ]);
        const charge =
          quote.amount_due_now_cents > 0
            ? await chargeUpgrade(client, subscription, quote, changeId, now)
            : null;
        const creditId =
          quote.credit_cents > 0 ? await creditDowngrade(client, subscription, quote, changeId, now) : null;
        context.signal.throwIfAborted();
        return {
          plan_change_id: changeId,
          subscription_id: subscription.id,
          from_plan: quote.from_plan,
          to_plan: quote.to_plan,
          direction: quote.direction,
          amount_charged_cents: quote.amount_due_now_cents,
          credit_cents: quote.credit_cents,
          invoice_id: charge?.invoiceId ?? null,
          payment_id: charge?.paymentId ?? null,
          credit_id: creditId,
          effective_on: quote.effective_on,
          already_applied: false,
        } satisfies Output;
      });
    },
  });
}

const describeChange = (quote: PlanChangeQuote, changeId: string) =>
  `Proration for plan change ${changeId}: ${quote.from_plan} to ${quote.to_plan}, ${quote.days_remaining} of ${quote.days_in_period} days`;

async function chargeUpgrade(
  client: pg.PoolClient,
  subscription: SubscriptionView,
  quote: PlanChangeQuote,
  changeId: string,
  now: Date,
): Promise<{ invoiceId: string; paymentId: string }> {
  const invoiceId = await nextInvoiceId(client);
  const paymentId = `pay_${randomBytes(8).toString('hex')}`;
  const card = await client.query<{ card_last4: string | null }>(
    `SELECT p.card_last4 FROM payments p JOIN invoices i ON i.id = p.invoice_id
     WHERE i.account_id = $1 AND p.card_last4 IS NOT NULL ORDER BY p.created_at DESC LIMIT 1`,
    [subscription.account_id],
  );
  await client.query(
    `INSERT INTO invoices (id, account_id, subscription_id, amount_cents, status, issued_at, due_at, description)
     VALUES ($1, $2, $3, $4, 'paid', $5, $5, $6)`,
    [
      invoiceId,
      subscription.account_id,
      subscription.id,
      quote.amount_due_now_cents,
      utcDate(now),
      describeChange(quote, changeId),
    ],
  );
  await client.query(
    `INSERT INTO payments (id, invoice_id, amount_cents, status, card_last4, created_at) VALUES ($1, $2, $3, 'succeeded', $4, $5)`,
    [paymentId, invoiceId, quote.amount_due_now_cents, card.rows[0]?.card_last4 ?? null, now],
  );
  return { invoiceId, paymentId };
}

async function creditDowngrade(
  client: pg.PoolClient,
  subscription: SubscriptionView,
  quote: PlanChangeQuote,
  changeId: string,
  now: Date,
): Promise<string> {
  const creditId = `cr_${randomBytes(8).toString('hex')}`;
  await client.query(
    'INSERT INTO credits (id, account_id, amount_cents, reason, created_at) VALUES ($1, $2, $3, $4, $5)',
    [creditId, subscription.account_id, quote.credit_cents, describeChange(quote, changeId), now],
  );
  return creditId;
}

/** `INV-<n>`: one past the highest numbered invoice, under a lock so concurrent upgrades never collide. */
async function nextInvoiceId(client: pg.PoolClient): Promise<string> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchboard.invoice_number'))`);
  const { rows } = await client.query<{ next: string }>(
    `SELECT (GREATEST(COALESCE(max(substring(id from '^INV-([0-9]{1,15})$')::bigint), 0), 1000) + 1)::text AS next FROM invoices`,
  );
  return `INV-${rows[0]!.next}`;
}

/**
 * A retry after the change committed finds the subscription already on the plan: the change made
 * in the last day is reported (with its invoice, payment or credit) instead of failing.
 */
async function findRecentChange(
  client: pg.PoolClient,
  subscription: SubscriptionView,
  plan: PlanId,
  now: Date,
): Promise<Output | null> {
  const { rows } = await client.query<{
    id: string;
    from_plan: PlanId;
    proration_cents: number;
    created_at: Date;
    upgrade: boolean;
  }>(
    `SELECT c.id, c.from_plan, c.proration_cents, c.created_at, target.sort_order > source.sort_order AS upgrade
     FROM plan_changes c JOIN plans source ON source.id = c.from_plan JOIN plans target ON target.id = c.to_plan
     WHERE c.subscription_id = $1 AND c.to_plan = $2 AND c.created_at > $3 ORDER BY c.created_at DESC, c.id DESC LIMIT 1`,
    [subscription.id, plan, new Date(now.getTime() - dayMs)],
  );
  const change = rows[0];
  if (!change) return null;
  const marker = `%plan change ${change.id}:%`;
  const invoice = await client.query<{ invoice_id: string; payment_id: string | null }>(
    `SELECT i.id AS invoice_id, (SELECT p.id FROM payments p WHERE p.invoice_id = i.id LIMIT 1) AS payment_id
     FROM invoices i WHERE i.subscription_id = $1 AND i.description LIKE $2`,
    [subscription.id, marker],
  );
  const credit = await client.query<{ id: string }>(
    'SELECT id FROM credits WHERE account_id = $1 AND reason LIKE $2',
    [subscription.account_id, marker],
  );
  return {
    plan_change_id: change.id,
    subscription_id: subscription.id,
    from_plan: change.from_plan,
    to_plan: plan,
    direction: change.upgrade ? 'upgrade' : 'downgrade',
    amount_charged_cents: Math.max(0, change.proration_cents),
    credit_cents: Math.max(0, -change.proration_cents),
    invoice_id: invoice.rows[0]?.invoice_id ?? null,
    payment_id: invoice.rows[0]?.payment_id ?? null,
    credit_id: credit.rows[0]?.id ?? null,
    effective_on: utcDate(new Date(change.created_at)),
    already_applied: true,
  };
}
