import type pg from 'pg';
import { z } from 'zod';
import { defineOperation } from '../../core/definition.ts';
import { ownerOfSubscription } from '../ownership.ts';
import { planChangeQuote, quotePlanChange, requireSubscription } from '../plan-change-quote.ts';
import { planId, recordId } from '../schemas.ts';

/** `billing.preview_plan_change`: the proration the customer confirms before `change_plan`. */
export function createPreviewPlanChangeOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
    name: 'preview_plan_change',
    description:
      'Previews a plan change: prorated to the day for the rest of the period; an upgrade is charged now, a downgrade is credited to the next invoice. Show this to the customer before change_plan.',
    effect: 'read',
    input: z.strictObject({ subscription_id: recordId, plan: planId }),
    output: planChangeQuote,
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    ownership: { ownerOf: (value, queryable) => ownerOfSubscription(queryable, value.subscription_id) },
    async run(value, context) {
      const subscription = await requireSubscription(db, value.subscription_id);
      return quotePlanChange(db, subscription, value.plan, context.now());
    },
  });
}
