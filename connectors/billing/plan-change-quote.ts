import { z } from 'zod';
import { ConnectorError } from '../core/errors.ts';
import type { Queryable } from '../core/queryable.ts';
import { prorate } from './proration.ts';
import { cents, isoDate, type PlanId, planId, utcDate } from './schemas.ts';
import { readPlan, readSubscription, type SubscriptionView } from './subscription-view.ts';

/** What changing plan now costs: the previewed proration, which `change_plan` recomputes and applies. */
export const planChangeQuote = z.object({
  subscription_id: z.string(),
  from_plan: planId,
  to_plan: planId,
  direction: z.enum(['upgrade', 'downgrade']),
  current_price_cents: cents,
  new_price_cents: cents,
  days_in_period: z.number().int(),
  days_remaining: z.number().int(),
  /** Upgrade: charged today to the card on file. */
  amount_due_now_cents: cents,
  /** Downgrade: credited to the next invoice. */
  credit_cents: cents,
  effective_on: isoDate,
  period_end: isoDate,
});
export type PlanChangeQuote = z.infer<typeof planChangeQuote>;

/**
 * Quotes a change of `subscription` to `plan` at `now`. Refuses (invalid_input) what cannot be
 * changed here: a cancelled subscription, the same plan, or Enterprise on either side (by contract).
 */
export async function quotePlanChange(
  db: Queryable,
  subscription: SubscriptionView,
  plan: PlanId,
  now: Date,
): Promise<PlanChangeQuote> {
  if (subscription.status === 'cancelled') {
    throw new ConnectorError(
      'invalid_input',
      `Subscription ${subscription.id} is cancelled; its plan cannot change.`,
    );
  }
  if (subscription.plan.id === plan) {
    throw new ConnectorError(
      'invalid_input',
      `Subscription ${subscription.id} is already on the ${subscription.plan.name} plan.`,
    );
  }
  const target = await readPlan(db, plan);
  if (target.price_cents === null || subscription.plan.price_cents === null) {
    throw new ConnectorError(
      'invalid_input',
      'Enterprise plans are sold by contract: changes to or from Enterprise go through the account owner.',
    );
  }
  const today = utcDate(now);
  const proration = prorate({
    fromPriceCents: subscription.plan.price_cents,
    toPriceCents: target.price_cents,
    periodStart: subscription.period_start,
    periodEnd: subscription.period_end,
    today,
  });
  const upgrade = target.price_cents > subscription.plan.price_cents;
  return {
    subscription_id: subscription.id,
    from_plan: subscription.plan.id,
    to_plan: target.id,
    direction: upgrade ? 'upgrade' : 'downgrade',
    current_price_cents: subscription.plan.price_cents,
    new_price_cents: target.price_cents,
    days_in_period: proration.days_in_period,
    days_remaining: proration.days_remaining,
    amount_due_now_cents: Math.max(0, proration.amount_cents),
    credit_cents: Math.max(0, -proration.amount_cents),
    effective_on: today,
    period_end: subscription.period_end,
  };
}

/** Reads the subscription or fails with not_found. */
export async function requireSubscription(
  db: Queryable,
  subscriptionId: string,
  options: { lock?: boolean } = {},
): Promise<SubscriptionView> {
  const subscription = await readSubscription(db, subscriptionId, options);
  if (!subscription) throw new ConnectorError('not_found', `No subscription ${subscriptionId}.`);
  return subscription;
}
