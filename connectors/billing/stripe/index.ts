import { operationsOf } from '../../core/contract.ts';
import type { ConnectorDefinition } from '../../core/definition.ts';
import { billing } from '../contract.ts';
import { billingPolicyNumbers } from '../policy.ts';
import { createCancelSubscription, createRetryPayment, createSendPaymentLink } from './account-writes.ts';
import { type CustomerDirectory, createCustomerBinding } from './customer-binding.ts';
import { createChangePlan, createPreviewPlanChange } from './plan-change.ts';
import {
  createFindDuplicateCharges,
  createGetInvoice,
  createGetPayment,
  createGetSubscription,
  createListInvoices,
  createListPayments,
} from './reads.ts';
import { createRefundPayment } from './refund.ts';
import { createStripeTransport } from './transport.ts';

export type { CustomerDirectory } from './customer-binding.ts';
export { accountMetadataKey } from './customer-binding.ts';
export { stripeApiVersion } from './transport.ts';

/** Settings of the Stripe billing backend. */
export interface StripeBillingConnectorOptions extends CustomerDirectory {
  /** A secret or restricted key (docs/connectors.md, "Stripe", lists the permissions). */
  secretKey: string;
  /** Stripe's API by default; a fake or a proxy in tests and some deployments. */
  apiBase?: string;
  /** Where the customer portal sends the customer back to; Stripe's portal default when unset. */
  portalReturnUrl?: string;
  /** Scopes this installation grants; all of the billing scopes by default. */
  grantedScopes?: string[];
  /** Page size of Stripe list calls (tests shrink it to exercise paging). */
  pageSize?: number;
  /** How long the session → Stripe customer mapping is kept (default 60 s). */
  customerCacheMs?: number;
}

/**
 * The billing connector over Stripe: the same contract (`connectors/billing/contract.ts`) as the
 * built-in backend, Stripe objects mapped to its shapes, the customer bound from the verified session.
 */
export function createStripeBillingConnector(options: StripeBillingConnectorOptions): ConnectorDefinition {
  if (!/^(sk|rk)_(test|live)_/.test(options.secretKey)) {
    throw new Error('the Stripe key must be a secret (sk_…) or restricted (rk_…) key');
  }
  const transport = createStripeTransport({
    secretKey: options.secretKey,
    ...(options.apiBase ? { apiBase: options.apiBase } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const binding = createCustomerBinding({
    transport,
    directory: { customerOf: options.customerOf, accountOfEmail: options.accountOfEmail },
    ...(options.customerCacheMs !== undefined ? { cacheMs: options.customerCacheMs } : {}),
  });
  const deps = { transport, binding };
  const operations = [
    createGetSubscription(deps),
    createListInvoices(deps),
    createGetInvoice(deps),
    createListPayments(deps),
    createGetPayment(deps),
    createFindDuplicateCharges(deps),
    createPreviewPlanChange(deps),
    createRefundPayment(deps),
    createChangePlan(deps),
    createCancelSubscription(deps),
    createRetryPayment(deps),
    createSendPaymentLink({
      ...deps,
      ...(options.portalReturnUrl ? { returnUrl: options.portalReturnUrl } : {}),
    }),
  ];
  return {
    id: 'billing',
    title: 'Billing (Stripe)',
    grantedScopes: options.grantedScopes ?? ['billing.read', 'billing.refund', 'billing.write'],
    policyNumbers: billingPolicyNumbers,
    operations: operationsOf(billing, operations, 'billing'),
    async check() {
      try {
        await transport.check();
        return { ok: true, detail: `Stripe API reachable (API version ${transport.apiVersion})` };
      } catch (error) {
        return { ok: false, detail: `Stripe unreachable: ${(error as Error).message}` };
      }
    },
  };
}
