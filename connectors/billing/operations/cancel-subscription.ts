import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { defineOperation } from '../../core/definition.ts';
import { ownerOfSubscription } from '../ownership.ts';
import { requireSubscription } from '../plan-change-quote.ts';
import { isoDate, isoDateTime, recordId, toIso } from '../schemas.ts';

/**
 * `billing.cancel_subscription`: at the end of the period (the subscription stays active until
 * `period_end`) or immediately. Cancelling what is already cancelled reports the current state.
 */
export function createCancelSubscriptionOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
    name: 'cancel_subscription',
    description:
      'Cancels the subscription, by default at the end of the current period (it stays active until then); at_period_end false cancels it now. Only after the customer confirmed.',
    effect: 'write',
    input: z.strictObject({ subscription_id: recordId, at_period_end: z.boolean().default(true) }),
    output: z.object({
      subscription_id: z.string(),
      status: z.enum(['active', 'trialing', 'past_due', 'cancelled']),
      cancel_at_period_end: z.boolean(),
      cancelled_at: isoDateTime.nullable(),
      period_end: isoDate,
      /** When service ends: the period end, or now for an immediate cancellation. */
      ends_on: isoDate,
      /** True when nothing changed because the subscription was already cancelled this way (or more). */
      already_cancelled: z.boolean(),
    }),
    scopes: ['billing.write'],
    timeoutMs: 10_000,
    idempotencyKey: (input) => `cancel:${input.subscription_id}`,
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
