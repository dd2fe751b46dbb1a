import Stripe from 'stripe';
import type { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import {
  type StripeCharge,
  type StripeCustomer,
  type StripeInvoice,
  type StripePortalSession,
  type StripePrice,
  type StripeRefund,
  type StripeSubscription,
  stripeCharge,
  stripeCustomer,
  stripeInvoice,
  stripeInvoicePayment,
  stripeList,
  stripePortalSession,
  stripePrice,
  stripeRefund,
  stripeSearchResult,
  stripeSubscription,
} from './vendor-schemas.ts';

/** The Stripe API version the backend is written against (the installed SDK's own version). */
export const stripeApiVersion = '2026-11-18.endive' satisfies Stripe.LatestApiVersion;

/** Settings of the one module that talks to Stripe. */
export interface StripeTransportOptions {
  /** A secret or restricted key (`sk_…` / `rk_…`). Never logged. */
  secretKey: string;
  /** Where the API is, e.g. a fake or proxy; default `https://api.stripe.com`. */
  apiBase?: string;
  /** Per-request timeout; the pipeline's operation timeouts bound it too. */
  timeoutMs?: number;
  /** Page size of list calls (Stripe allows 1–100). */
  pageSize?: number;
  /** Pages read at most per listing, so one call never walks an unbounded history. */
  maxPages?: number;
}

/** A write's result and whether Stripe replayed it for the Idempotency-Key (`Idempotent-Replayed: true`). */
export interface WriteResult<T> {
  value: T;
  replayed: boolean;
}

/** What the billing backend asks of Stripe; each method parses the answer and maps failures. */
export type StripeTransport = ReturnType<typeof createStripeTransport>;

/** Creates the Stripe transport: the official SDK with its own retries off (retrying is the pipeline's job). */
export function createStripeTransport(options: StripeTransportOptions) {
  const base = new URL(options.apiBase ?? 'https://api.stripe.com');
  const stripe = new Stripe(options.secretKey, {
    apiVersion: stripeApiVersion,
    host: base.hostname,
    port: base.port || (base.protocol === 'http:' ? 80 : 443),
    protocol: base.protocol === 'http:' ? 'http' : 'https',
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? 10_000,
    telemetry: false,
  });
  const pageSize = options.pageSize ?? 100;
  const maxPages = options.maxPages ?? 10;

  async function call<Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    request: () => Promise<unknown>,
  ): Promise<WriteResult<z.output<Schema>>> {
    let raw: unknown;
    try {
      raw = await request();
    } catch (error) {
      throw toConnectorError(error, what);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      throw new ConnectorError('permanent', `unexpected response from Stripe ${what}: ${where.join('; ')}`);
    }
    const headers = (raw as { lastResponse?: { headers?: Record<string, string> } }).lastResponse?.headers;
    return { value: parsed.data, replayed: headers?.['idempotent-replayed'] === 'true' };
  }
  const read = async <Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    request: () => Promise<unknown>,
  ): Promise<z.output<Schema>> => (await call(what, schema, request)).value;

  /** Every page of a list (up to `maxPages`), following `has_more` with `starting_after`. */
  async function listAll<Item extends z.ZodType>(
    what: string,
    item: Item,
    page: (params: { limit: number; starting_after?: string }) => Promise<unknown>,
    limit?: number,
  ): Promise<Array<z.output<Item>>> {
    const items: Array<z.output<Item>> = [];
    let startingAfter: string | undefined;
    for (let index = 0; index < maxPages; index++) {
      const wanted = limit === undefined ? pageSize : Math.min(pageSize, limit - items.length);
      const params = { limit: wanted, ...(startingAfter ? { starting_after: startingAfter } : {}) };
      const list = await read(what, stripeList(item), () => page(params));
      items.push(...list.data);
      const last = list.data.at(-1) as { id?: string } | undefined;
      if (!list.has_more || !last?.id || (limit !== undefined && items.length >= limit)) break;
      startingAfter = last.id;
    }
    return items;
  }

  return {
    apiVersion: stripeApiVersion,
    /** Who-am-I: one customer read, which any key the backend can use may do. */
    // https://docs.stripe.com/api/customers/list
    check: () =>
      read('customers.list', stripeList(stripeCustomer), () => stripe.customers.list({ limit: 1 })),

    // https://docs.stripe.com/api/customers/list (the `email` filter is exact and case-sensitive)
    listCustomersByEmail: (email: string): Promise<StripeCustomer[]> =>
      listAll('customers.list', stripeCustomer, (page) => stripe.customers.list({ email, ...page }), 10),

    /**
     * The customers whose metadata names our account (https://docs.stripe.com/api/customers/search,
     * `metadata['key']:'value'`). Search is eventually consistent: a customer tagged within the last
     * minute may not be found yet. Our account ids are plain tokens; anything else finds nobody.
     */
    searchCustomersByMetadata: async (key: string, value: string): Promise<StripeCustomer[]> => {
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(key) || !/^[A-Za-z0-9_.-]{1,100}$/.test(value)) return [];
      const found = await read('customers.search', stripeSearchResult(stripeCustomer), () =>
        stripe.customers.search({ query: `metadata['${key}']:'${value}'`, limit: 3 }),
      );
      return found.data;
    },

    // https://docs.stripe.com/api/customers/retrieve
    retrieveCustomer: (id: string): Promise<StripeCustomer> =>
      read('customers.retrieve', stripeCustomer, () => stripe.customers.retrieve(id)),

    // https://docs.stripe.com/api/subscriptions/list (without `status`: every subscription not canceled)
    listSubscriptions: (customer: string): Promise<StripeSubscription[]> =>
      listAll('subscriptions.list', stripeSubscription, (page) =>
        stripe.subscriptions.list({ customer, ...page }),
      ),

    // https://docs.stripe.com/api/subscriptions/retrieve
    retrieveSubscription: (id: string): Promise<StripeSubscription> =>
      read('subscriptions.retrieve', stripeSubscription, () => stripe.subscriptions.retrieve(id)),

    // https://docs.stripe.com/api/subscriptions/update
    updateSubscription: (
      id: string,
      params: Stripe.SubscriptionUpdateParams,
      idempotencyKey: string | undefined,
    ): Promise<WriteResult<StripeSubscription>> =>
      call('subscriptions.update', stripeSubscription, () =>
        stripe.subscriptions.update(id, params, idempotencyKey ? { idempotencyKey } : {}),
      ),

    // https://docs.stripe.com/api/subscriptions/cancel
    cancelSubscription: (id: string, idempotencyKey: string | undefined): Promise<StripeSubscription> =>
      read('subscriptions.cancel', stripeSubscription, () =>
        stripe.subscriptions.cancel(id, {}, idempotencyKey ? { idempotencyKey } : {}),
      ),

    // https://docs.stripe.com/api/invoices/list (payments included with `expand[]=data.payments`)
    listInvoices: (customer: string, limit?: number): Promise<StripeInvoice[]> =>
      listAll(
        'invoices.list',
        stripeInvoice,
        (page) => stripe.invoices.list({ customer, expand: ['data.payments'], ...page }),
        limit,
      ),

    /**
     * An invoice by its id (`in_…`) or by the number printed on it, which is what customers quote:
     * https://docs.stripe.com/api/invoices/retrieve, or https://docs.stripe.com/api/invoices/search
     * with `number:"…"` (numbers are unique per account). Search is eventually consistent (new
     * invoices are searchable within about a minute), which is fine for invoices a customer has
     * already received.
     */
    retrieveInvoice: async (reference: string): Promise<StripeInvoice> => {
      if (/^in_[A-Za-z0-9]+$/.test(reference))
        return read('invoices.retrieve', stripeInvoice, () =>
          stripe.invoices.retrieve(reference, { expand: ['payments'] }),
        );
      const number = reference.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(number))
        throw new ConnectorError('not_found', `No invoice ${reference}.`);
      const found = await read('invoices.search', stripeSearchResult(stripeInvoice), () =>
        stripe.invoices.search({ query: `number:"${number}"`, expand: ['data.payments'], limit: 2 }),
      );
      const invoice = found.data.find((candidate) => candidate.number === number);
      if (!invoice) throw new ConnectorError('not_found', `No invoice ${reference}.`);
      return invoice;
    },

    // https://docs.stripe.com/api/invoices/pay
    payInvoice: (id: string, idempotencyKey: string | undefined): Promise<WriteResult<StripeInvoice>> =>
      call('invoices.pay', stripeInvoice, () =>
        stripe.invoices.pay(id, { expand: ['payments'] }, idempotencyKey ? { idempotencyKey } : {}),
      ),

    // https://docs.stripe.com/api/invoices/create_preview
    previewInvoice: (params: Stripe.InvoiceCreatePreviewParams): Promise<StripeInvoice> =>
      read('invoices.createPreview', stripeInvoice, () => stripe.invoices.createPreview(params)),

    // https://docs.stripe.com/api/invoice-payment/list
    invoiceIdsOfPaymentIntent: async (paymentIntent: string): Promise<string[]> => {
      const payments = await listAll('invoicePayments.list', stripeInvoicePayment, (page) =>
        stripe.invoicePayments.list({
          payment: { type: 'payment_intent', payment_intent: paymentIntent },
          ...page,
        }),
      );
      return payments.map((payment) => payment.invoice);
    },

    // https://docs.stripe.com/api/charges/list
    listCharges: (filter: { customer: string } | { payment_intent: string }): Promise<StripeCharge[]> =>
      listAll('charges.list', stripeCharge, (page) => stripe.charges.list({ ...filter, ...page })),

    // https://docs.stripe.com/api/charges/retrieve
    retrieveCharge: (id: string): Promise<StripeCharge> =>
      read('charges.retrieve', stripeCharge, () => stripe.charges.retrieve(id)),

    // https://docs.stripe.com/api/refunds/create
    createRefund: (
      params: Stripe.RefundCreateParams,
      idempotencyKey: string | undefined,
    ): Promise<WriteResult<StripeRefund>> =>
      call('refunds.create', stripeRefund, () =>
        stripe.refunds.create(params, idempotencyKey ? { idempotencyKey } : {}),
      ),

    // https://docs.stripe.com/api/refunds/list (newest first; `charge` filters to one charge's refunds)
    listRefunds: (charge: string): Promise<StripeRefund[]> =>
      listAll('refunds.list', stripeRefund, (page) => stripe.refunds.list({ charge, ...page }), 100),

    // https://docs.stripe.com/api/prices/list (`lookup_keys` names our plan ids)
    findPriceByLookupKey: async (lookupKey: string): Promise<StripePrice | null> => {
      const prices = await read('prices.list', stripeList(stripePrice), () =>
        stripe.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 }),
      );
      return prices.data[0] ?? null;
    },

    // https://docs.stripe.com/api/prices/retrieve
    retrievePrice: (id: string): Promise<StripePrice> =>
      read('prices.retrieve', stripePrice, () => stripe.prices.retrieve(id)),

    // https://docs.stripe.com/api/customer_portal/sessions/create
    createPortalSession: (
      params: Stripe.BillingPortal.SessionCreateParams,
      idempotencyKey: string | undefined,
    ): Promise<WriteResult<StripePortalSession>> =>
      call('billingPortal.sessions.create', stripePortalSession, () =>
        stripe.billingPortal.sessions.create(params, idempotencyKey ? { idempotencyKey } : {}),
      ),
  };
}

/**
 * Maps a Stripe SDK failure to our kinds (https://docs.stripe.com/error-handling, /api/errors):
 * 401 → auth_expired (a static key: not retried), 403 → permanent (the restricted key lacks a
 * permission), 402 card errors → invalid_input, 404 → not_found, 409 → conflict (retryable: another
 * request with the key is in flight), idempotency_error → conflict, 429 → rate_limited with
 * Retry-After, 5xx and connection failures (timeouts, resets) → transient, other 4xx →
 * invalid_input, an unreadable body or anything else → permanent. Messages never carry the key.
 */
export function toConnectorError(error: unknown, what: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (!(error instanceof Stripe.errors.StripeError)) {
    return new ConnectorError('permanent', `Stripe ${what} failed unexpectedly`, { cause: error });
  }
  const status = error.statusCode;
  const detail = `Stripe ${what}: ${error.message}`;
  if (error.type === 'StripeConnectionError') {
    return new ConnectorError('transient', `Stripe ${what} did not answer: ${error.message}`);
  }
  if (status === 401 || error.type === 'StripeAuthenticationError') {
    return new ConnectorError('auth_expired', `Stripe refused the API key (${what}, 401)`, {
      retryable: false,
    });
  }
  if (status === 403 || error.type === 'StripePermissionError') {
    return new ConnectorError('permanent', `the Stripe key may not do ${what} (403): grant the permission`);
  }
  if (status === 429) {
    const retryAfter = Number(error.headers?.['retry-after']);
    return new ConnectorError('rate_limited', `Stripe rate-limited ${what}`, {
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  if (error.type === 'StripeIdempotencyError' || error.code === 'idempotency_error') {
    return new ConnectorError('conflict', `${detail} (the idempotency key was used with other parameters)`);
  }
  if (status === 409) return new ConnectorError('conflict', detail, { retryable: true });
  if (status !== undefined && status >= 500) return new ConnectorError('transient', detail);
  if (status === 404 || error.code === 'resource_missing') return new ConnectorError('not_found', detail);
  if (status === 402 || error.type === 'StripeCardError') {
    const code = error.decline_code ?? error.code ?? 'card_declined';
    return new ConnectorError('invalid_input', `the card was declined (${code}): ${error.message}`);
  }
  if (status !== undefined && status >= 400) return new ConnectorError('invalid_input', detail);
  // No status: the body could not be read as JSON.
  return new ConnectorError('permanent', `unreadable response from Stripe ${what}`, { cause: error });
}
