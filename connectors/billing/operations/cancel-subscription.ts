import type pg from 'pg';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { billing } from '../contract.ts';
import { ownerOfSubscription } from '../ownership.ts';
import { requireSubscription } from '../plan-change-quote.ts';
import { toIso } from '../schemas.ts';

/**
 * `billing.cancel_subscription`: at the end of the period (the subscription stays active until
 * `period_end`) or immediately. Cancelling what is already cancelled reports the current state.
 */
export function createCancelSubscriptionOperation({ db }: { db: pg.Pool }) {
  return implement(billing.cancelSubscription, {
    scopes: ['billing.write'],
    timeoutMs: 10_000,
    ownership: { ownerOf: (input, queryable) => ownerOfSubscription(queryable, input.subscription_id) },
    async run(input, context) {
      const now = context.now();
      return withTransaction(db, async (client) => {
        const subscription = await requireSubscription(client, input.subscription_id, { lock: true });
        const alreadyCancelled =
          subscription.status === 'cancelled' || (input.at_period_end && subscription.cancel_at_period_end);
        if (!alreadyCancelled) {
          if (input.at_period_end) {
            await client.query('UPDATE subscriptions SET cancel_at_period_end = true WHERE id = $1', [
              subscription.id,
            ]);
          } else {
            await client.query(
              `UPDATE subscriptions SET status = 'cancelled', cancelled_at = $2, cancel_at_period_end = false WHERE id = $1`,
              [subscription.id, now],
            );
          }
        }
        const current = await requireSubscription(client, subscription.id);
        context.signal.throwIfAborted();
        const cancelledAt = current.cancelled_at;
        return {
          subscription_id: current.id,
          status: current.status,
          cancel_at_period_end: current.cancel_at_period_end,
          cancelled_at: cancelledAt,
          period_end: current.period_end,
          ends_on: cancelledAt ? toIso(cancelledAt).slice(0, 10) : current.period_end,
          already_cancelled: alreadyCancelled,
        };
      });
    },
  });
}
