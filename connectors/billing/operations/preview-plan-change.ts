import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { billing } from '../contract.ts';
import { ownerOfSubscription } from '../ownership.ts';
import { quotePlanChange, requireSubscription } from '../plan-change-quote.ts';

/** `billing.preview_plan_change`: the proration the customer confirms before `change_plan`. */
export function createPreviewPlanChangeOperation({ db }: { db: pg.Pool }) {
  return implement(billing.previewPlanChange, {
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    ownership: { ownerOf: (value, queryable) => ownerOfSubscription(queryable, value.subscription_id) },
    async run(value, context) {
      const subscription = await requireSubscription(db, value.subscription_id);
      return quotePlanChange(db, subscription, value.plan, context.now());
    },
  });
}
