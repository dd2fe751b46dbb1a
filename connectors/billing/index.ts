import type pg from 'pg';
import { operationsOf } from '../core/contract.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import { billing } from './contract.ts';
import { createCancelSubscriptionOperation } from './operations/cancel-subscription.ts';
import { createChangePlanOperation } from './operations/change-plan.ts';
import { createFindDuplicateChargesOperation } from './operations/find-duplicate-charges.ts';
import { createGetSubscriptionOperation } from './operations/get-subscription.ts';
import { createGetInvoiceOperation, createListInvoicesOperation } from './operations/invoices.ts';
import { createGetPaymentOperation, createListPaymentsOperation } from './operations/payments.ts';
import { createPreviewPlanChangeOperation } from './operations/preview-plan-change.ts';
import { createRefundPaymentOperation } from './operations/refund-payment.ts';
import { createRetryPaymentOperation } from './operations/retry-payment.ts';
import { createSendPaymentLinkOperation } from './operations/send-payment-link.ts';
import { type PaymentLinkVerification, verifyPaymentLink } from './payment-link-token.ts';

export type { PaymentLinkRefusal, PaymentLinkVerification } from './payment-link-token.ts';
export { verifyPaymentLink } from './payment-link-token.ts';

import { billingPolicyNumbers } from './policy.ts';

export { billingPolicy, billingPolicyNumbers } from './policy.ts';

/** Settings of the built-in billing system (backed by our database). */
export interface BillingConnectorOptions {
  db: pg.Pool;
  /** HMAC key of update-payment link tokens (at least 32 characters). */
  paymentLinkSecret: string;
  /** The page that takes a link's token, e.g. `https://billing.example.com/update-payment`. */
  paymentLinkBaseUrl: string;
  /** Scopes this installation grants; all of the connector's scopes by default. */
  grantedScopes?: string[];
}

/** The billing connector, plus verification of the update-payment links it hands out. */
export interface BillingConnector extends ConnectorDefinition {
  /** Checks an update-payment link token (signature, expiry at `now`, stored and unused). */
  verifyPaymentLink(token: string, now?: Date): Promise<PaymentLinkVerification>;
}

/** Scopes of the billing operations. */
export const billingScopes = ['billing.read', 'billing.refund', 'billing.write'];

/** Creates the built-in billing connector: subscriptions, invoices, payments, refunds, plan changes. */
export function createBillingConnector(options: BillingConnectorOptions): BillingConnector {
  if (options.paymentLinkSecret.length < 32)
    throw new Error('paymentLinkSecret must be at least 32 characters');
  new URL(options.paymentLinkBaseUrl); // fails at construction, not at the first link
  const { db } = options;
  const operations = [
    createGetSubscriptionOperation({ db }),
    createListInvoicesOperation({ db }),
    createGetInvoiceOperation({ db }),
    createListPaymentsOperation({ db }),
    createGetPaymentOperation({ db }),
    createFindDuplicateChargesOperation({ db }),
    createPreviewPlanChangeOperation({ db }),
    createRefundPaymentOperation({ db }),
    createChangePlanOperation({ db }),
    createCancelSubscriptionOperation({ db }),
    createRetryPaymentOperation({ db }),
    createSendPaymentLinkOperation(options),
  ];
  return {
    id: 'billing',
    title: 'Billing (built-in)',
    grantedScopes: options.grantedScopes ?? billingScopes,
    policyNumbers: billingPolicyNumbers,
    operations: operationsOf(billing, operations, 'billing'),
    async check() {
      try {
        const { rows } = await db.query<{ subscriptions: number; invoices: number; payments: number }>(
          `SELECT (SELECT count(*) FROM subscriptions)::int AS subscriptions, (SELECT count(*) FROM invoices)::int AS invoices,
             (SELECT count(*) FROM payments)::int AS payments`,
        );
        const counts = rows[0]!;
        return {
          ok: true,
          detail: `${counts.subscriptions} subscriptions, ${counts.invoices} invoices, ${counts.payments} payments`,
        };
      } catch (error) {
        return { ok: false, detail: `billing tables unreachable: ${(error as Error).message}` };
      }
    },
    verifyPaymentLink: (token, now) =>
      verifyPaymentLink(token, { db, secret: options.paymentLinkSecret, now }),
  };
}
