import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { readCurrentSubscription } from '../subscription-view.ts';

/** `billing.get_subscription`: the customer's current subscription with its plan and price. */
export function createGetSubscriptionOperation({ db }: { db: pg.Pool }) {
  return implement(billing.getSubscription, {
    scopes: ['billing.read'],
    timeoutMs: 5_000,
    async run(input) {
      const subscription = await readCurrentSubscription(db, input.account_id);
      if (!subscription) throw new ConnectorError('not_found', 'The account has no active subscription.');
      return subscription;
    },
  });
}
