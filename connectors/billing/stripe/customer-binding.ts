import type { CallerSession } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import type { StripeTransport } from './transport.ts';
import type { StripeCustomer } from './vendor-schemas.ts';

/** The metadata key on a Stripe customer that names our account (optional, but it wins when set). */
export const accountMetadataKey = 'switchboard_account_id';

/** How the backend learns who a Stripe customer is, from our CRM (supplied by the wiring). */
export interface CustomerDirectory {
  /** The verified session's contact email; null when the session has no contact. */
  customerOf(session: CallerSession): Promise<{ email: string } | null>;
  /** The account of the contact with this email, for Stripe customers without the metadata key. */
  accountOfEmail(email: string): Promise<string | null>;
}

/**
 * Binds calls to Stripe customers. The customer a call acts for follows from the verified session
 * (its contact's email → `customers.list({ email })`; for another contact of the account, the
 * customer whose `metadata.switchboard_account_id` names the session's account), never from the input; a record the input
 * names belongs to the account its Stripe customer's `metadata.switchboard_account_id` names, or
 * else to the account of the contact with the customer's email. Both mappings are cached briefly.
 */
export function createCustomerBinding(options: {
  transport: StripeTransport;
  directory: CustomerDirectory;
  cacheMs?: number;
}) {
  const { transport, directory } = options;
  const ttl = options.cacheMs ?? 60_000;
  const sessionCustomers = new Map<string, { value: string; expires: number }>();
  const customerAccounts = new Map<string, { value: string | null; expires: number }>();

  async function cached<V>(
    cache: Map<string, { value: V; expires: number }>,
    key: string,
    load: () => Promise<V>,
  ): Promise<V> {
    const hit = cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.value;
    const value = await load();
    cache.set(key, { value, expires: Date.now() + ttl });
    return value;
  }

  async function accountOf(customer: StripeCustomer): Promise<string | null> {
    if (customer.deleted) return null;
    const named = customer.metadata?.[accountMetadataKey];
    if (named) return named;
    return customer.email ? directory.accountOfEmail(customer.email) : null;
  }

  async function resolveSessionCustomer(session: CallerSession, accountId: string): Promise<string> {
    const contact = await directory.customerOf(session);
    if (!contact) throw new ConnectorError('not_found', 'the caller has no contact email to find in Stripe');
    const candidates = (await transport.listCustomersByEmail(contact.email)).filter((customer) => {
      const named = customer.metadata?.[accountMetadataKey];
      return !named || named === accountId;
    });
    const tagged = candidates.filter((customer) => customer.metadata?.[accountMetadataKey] === accountId);
    const chosen = tagged.length === 1 ? tagged[0] : candidates.length === 1 ? candidates[0] : undefined;
    if (chosen) return chosen.id;
    if (candidates.length === 0) {
      // A colleague of the account's billing contact: the account's own Stripe customer, when one is
      // tagged with our account id (Stripe keeps one email per customer, an account has many contacts).
      const accountCustomers = (
        await transport.searchCustomersByMetadata(accountMetadataKey, accountId)
      ).filter((customer) => !customer.deleted);
      if (accountCustomers.length === 1) return accountCustomers[0]!.id;
      if (accountCustomers.length > 1)
        throw new ConnectorError(
          'conflict',
          `several Stripe customers name account ${accountId} in metadata.${accountMetadataKey}`,
        );
      throw new ConnectorError(
        'not_found',
        "no Stripe customer has the caller's email or names their account",
      );
    }
    throw new ConnectorError(
      'conflict',
      `several Stripe customers have the caller's email: set metadata.${accountMetadataKey} on the right one`,
    );
  }

  return {
    /** The Stripe customer id of the session's customer. */
    customerFor(session: CallerSession): Promise<string> {
      const customer = session.customer;
      if (!customer) throw new ConnectorError('forbidden', 'billing needs an identified customer');
      return cached(sessionCustomers, `${customer.contactId}\u0000${customer.accountId}`, () =>
        resolveSessionCustomer(session, customer.accountId),
      );
    },
    /** Our account that owns a Stripe customer, or null when none does. */
    accountOfCustomer(customerId: string): Promise<string | null> {
      return cached(customerAccounts, customerId, async () => {
        try {
          return await accountOf(await transport.retrieveCustomer(customerId));
        } catch (error) {
          if (error instanceof ConnectorError && error.kind === 'not_found') return null;
          throw error;
        }
      });
    },
    /**
     * Refuses a record of another Stripe customer than the session's (the pipeline already checked
     * the account; this also keeps apart two Stripe customers of one account).
     */
    async requireOwn(
      session: CallerSession,
      owner: string | null | undefined,
      what: string,
    ): Promise<string> {
      const own = await this.customerFor(session);
      if (owner !== own) throw new ConnectorError('forbidden', `${what} does not belong to the caller`);
      return own;
    },
  };
}

export type CustomerBinding = ReturnType<typeof createCustomerBinding>;
