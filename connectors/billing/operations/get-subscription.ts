import type pg from 'pg';
import { z } from 'zod';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { recordId } from '../schemas.ts';
import { readCurrentSubscription, subscriptionView } from '../subscription-view.ts';

/** `billing.get_subscription`: the customer's current subscription with its plan and price. */
export function createGetSubscriptionOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
    name: 'get_subscription',
    description:
      "The customer's current subscription: plan, price, status, billing period and pending cancellation.",
    effect: 'read',
    input: z.strictObject({ account_id: recordId }),
    output: subscriptionView,
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    customerKey: { field: 'account_id', from: 'accountId' },
    cacheable: true,
    async run(input) {
      const subscription = await readCurrentSubscription(db, input.account_id);
      if (!subscription) throw new ConnectorError('not_found', 'The account has no active subscription.');
      return subscription;
    },
  });
}
