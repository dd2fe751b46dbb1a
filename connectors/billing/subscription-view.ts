import { z } from 'zod';
import type { Queryable } from '../core/queryable.ts';
import { cents, isoDate, isoDateTime, type PlanId, planId, toIso } from './schemas.ts';

/** A subscription with its plan and list price. */
export const subscriptionView = z.object({
  id: z.string(),
  account_id: z.string(),
  status: z.enum(['active', 'trialing', 'past_due', 'cancelled']),
  plan: z.object({
    id: planId,
    name: z.string(),
    /** Monthly list price; null for plans sold by contract (Enterprise). */
    price_cents: cents.nullable(),
  }),
  period_start: isoDate.nullable(),
  period_end: isoDate,
  cancel_at_period_end: z.boolean(),
  cancelled_at: isoDateTime.nullable(),
});
export type SubscriptionView = z.infer<typeof subscriptionView>;

interface SubscriptionRow {
  id: string;
  account_id: string;
  status: SubscriptionView['status'];
  plan_id: PlanId;
  plan_name: string;
  price_cents: number | null;
  period_start: string | null;
  period_end: string;
  cancel_at_period_end: boolean;
  cancelled_at: Date | null;
}

// Dates are read as text: pg would turn a `date` into a local-midnight Date and shift it by the TZ.
const subscriptionSelect = `
  SELECT s.id, s.account_id, s.status, s.plan_id, pl.name AS plan_name, pl.price_cents,
    s.period_start::text AS period_start, s.period_end::text AS period_end, s.cancel_at_period_end, s.cancelled_at
  FROM subscriptions s JOIN plans pl ON pl.id = s.plan_id`;

/**
 * Reads a subscription by id, or null. With `lock` (inside a transaction) the row is locked first
 * and read by a second statement, whose fresh snapshot sees what a concurrent writer committed.
 */
export async function readSubscription(
  db: Queryable,
  subscriptionId: string,
  options: { lock?: boolean } = {},
): Promise<SubscriptionView | null> {
  if (options.lock) await db.query('SELECT id FROM subscriptions WHERE id = $1 FOR UPDATE', [subscriptionId]);
  const { rows } = await db.query<SubscriptionRow>(`${subscriptionSelect} WHERE s.id = $1`, [subscriptionId]);
  return rows[0] ? toSubscriptionView(rows[0]) : null;
}

/** The account's current subscription: the newest one that is not cancelled, or null. */
export async function readCurrentSubscription(
  db: Queryable,
  accountId: string,
): Promise<SubscriptionView | null> {
  const { rows } = await db.query<SubscriptionRow>(
    `${subscriptionSelect} WHERE s.account_id = $1 AND s.status <> 'cancelled' ORDER BY s.created_at DESC, s.id DESC LIMIT 1`,
    [accountId],
  );
  return rows[0] ? toSubscriptionView(rows[0]) : null;
}

/** Reads a plan of the price list. */
export async function readPlan(
  db: Queryable,
  plan: PlanId,
): Promise<{ id: PlanId; name: string; price_cents: number | null }> {
  const { rows } = await db.query<{ id: PlanId; name: string; price_cents: number | null }>(
    'SELECT id, name, price_cents FROM plans WHERE id = $1',
    [plan],
  );
  if (!rows[0]) throw new Error(`plan ${plan} is missing from the price list`);
  return rows[0];
}

function toSubscriptionView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    account_id: row.account_id,
    status: row.status,
    plan: { id: row.plan_id, name: row.plan_name, price_cents: row.price_cents },
    period_start: row.period_start,
    period_end: row.period_end,
    cancel_at_period_end: row.cancel_at_period_end,
    cancelled_at: row.cancelled_at ? toIso(row.cancelled_at) : null,
  };
}
