import type { OwnershipCheck } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import type { CustomerBinding } from './customer-binding.ts';
import type { StripeTransport } from './transport.ts';

/** What every Stripe operation is built with. */
export interface StripeOperationDeps {
  transport: StripeTransport;
  binding: CustomerBinding;
}

const orNull = async <T>(load: () => Promise<T>): Promise<T | null> => {
  try {
    return await load();
  } catch (error) {
    if (error instanceof ConnectorError && error.kind === 'not_found') return null;
    throw error;
  }
};

/**
 * The pipeline's ownership check for a Stripe record: the record's customer, then the account that
 * customer belongs to (null — "no such record" — when either is missing). It runs before policy
 * and approval, so a foreign record is refused before anyone is asked to approve anything.
 */
export function ownedByCustomerOf<Input>(
  deps: StripeOperationDeps,
  customerOfRecord: (input: Input) => Promise<string | null | undefined>,
): OwnershipCheck<Input> {
  return {
    async ownerOf(input) {
      const customer = await orNull(() => customerOfRecord(input));
      return customer ? deps.binding.accountOfCustomer(customer) : null;
    },
  };
}

export const chargeOwnership = (deps: StripeOperationDeps) =>
  ownedByCustomerOf<{ payment_id: string }>(
    deps,
    async (input) => (await deps.transport.retrieveCharge(input.payment_id)).customer,
  );

export const invoiceCustomer = async (deps: StripeOperationDeps, invoiceId: string) =>
  (await deps.transport.retrieveInvoice(invoiceId)).customer;

export const subscriptionOwnership = (deps: StripeOperationDeps) =>
  ownedByCustomerOf<{ subscription_id: string }>(
    deps,
    async (input) => (await deps.transport.retrieveSubscription(input.subscription_id)).customer,
  );
