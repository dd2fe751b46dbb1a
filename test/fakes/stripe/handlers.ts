import { randomBytes } from 'node:crypto';
import type { FormValue } from './form.ts';
import {
  type FakeCharge,
  type FakeCustomer,
  type FakeInvoice,
  type FakeInvoiceLine,
  type FakePortalSession,
  type FakePrice,
  type FakeProduct,
  type FakeRefund,
  type FakeSubscription,
  renderCharge,
  renderCustomer,
  renderInvoice,
  renderInvoicePayment,
  renderPrice,
  renderProduct,
  renderRefund,
} from './objects.ts';

/** A Stripe error answer (https://docs.stripe.com/api/errors). */
export class StripeProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Everything the fake keeps. */
export interface FakeStripeState {
  customers: Map<string, FakeCustomer>;
  products: Map<string, FakeProduct>;
  prices: Map<string, FakePrice>;
  subscriptions: Map<string, FakeSubscription>;
  invoices: Map<string, FakeInvoice>;
  charges: Map<string, FakeCharge>;
  refunds: Map<string, FakeRefund>;
  portalSessions: Map<string, FakePortalSession>;
}

export const newId = (prefix: string) =>
  `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

type Params = Record<string, FormValue>;

/** The method's accepted parameters (from the stripe package's *Params types); anything else is refused as Stripe does. */
function accept(params: Params, allowed: string[]): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) {
      throw new StripeProblem(
        400,
        'invalid_request_error',
        `Received unknown parameter: ${key}`,
        'parameter_unknown',
        key,
      );
    }
  }
}
const text = (params: Params, key: string): string | undefined => {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new StripeProblem(
      400,
      'invalid_request_error',
      `Invalid string: ${key}`,
      'parameter_invalid_string',
      key,
    );
  return value;
};
const required = (params: Params, key: string): string => {
  const value = text(params, key);
  if (value === undefined)
    throw new StripeProblem(
      400,
      'invalid_request_error',
      `Missing required param: ${key}.`,
      'parameter_missing',
      key,
    );
  return value;
};
const integer = (params: Params, key: string): number | undefined => {
  const value = text(params, key);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw new StripeProblem(
      400,
      'invalid_request_error',
      `Invalid integer: ${value}`,
      'parameter_invalid_integer',
      key,
    );
  return Number(value);
};
const metadataOf = (params: Params): Record<string, string> => {
  const value = params.metadata;
  if (value === undefined || value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new StripeProblem(
      400,
      'invalid_request_error',
      'Invalid hash',
      'parameter_invalid_hash',
      'metadata',
    );
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
};
export const expansionsOf = (params: Params): Set<string> => {
  const value = params.expand;
  if (value === undefined) return new Set();
  if (!Array.isArray(value))
    throw new StripeProblem(
      400,
      'invalid_request_error',
      'Invalid array',
      'parameter_invalid_array',
      'expand',
    );
  return new Set(value.map(String));
};
const missing = (kind: string, id: string, param = 'id') =>
  new StripeProblem(404, 'invalid_request_error', `No such ${kind}: '${id}'`, 'resource_missing', param);

const get = <T>(map: Map<string, T>, kind: string, id: string, param?: string): T => {
  const found = map.get(id);
  if (!found) throw missing(kind, id, param);
  return found;
};

/** A list object page: newest first, `limit` (1–100, default 10) and `starting_after` (https://docs.stripe.com/api/pagination). */
export function page<T extends { id: string }>(
  url: string,
  items: T[],
  params: Params,
  render: (item: T) => unknown,
) {
  const limit = integer(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100)
    throw new StripeProblem(
      400,
      'invalid_request_error',
      'This value must be between 1 and 100.',
      'parameter_invalid_integer',
      'limit',
    );
  let start = 0;
  const after = text(params, 'starting_after');
  if (after !== undefined) {
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) throw missing('object', after, 'starting_after');
    start = index + 1;
  }
  const slice = items.slice(start, start + limit);
  return { object: 'list', data: slice.map(render), has_more: start + limit < items.length, url };
}

const newestFirst = <T extends { created: number }>(items: Iterable<T>): T[] =>
  [...items].reverse().sort((a, b) => b.created - a.created);

/** The endpoint handlers, over `state`, with the fake's clock. */
export function createHandlers(state: FakeStripeState, clock: () => number) {
  const monthLater = (seconds: number) => {
    const date = new Date(seconds * 1000);
    date.setUTCMonth(date.getUTCMonth() + 1);
    return Math.floor(date.getTime() / 1000);
  };

  function renderSubscription(subscription: FakeSubscription, expand: Set<string>) {
    const latest = subscription.latest_invoice;
    const latestExpanded = [...expand].some(
      (path) => path === 'latest_invoice' || path.startsWith('latest_invoice.'),
    );
    return {
      id: subscription.id,
      object: 'subscription',
      billing_cycle_anchor: subscription.items[0]?.current_period_end ?? subscription.created,
      cancel_at: subscription.cancel_at_period_end
        ? (subscription.items[0]?.current_period_end ?? null)
        : null,
      cancel_at_period_end: subscription.cancel_at_period_end,
      canceled_at: subscription.canceled_at,
      collection_method: 'charge_automatically',
      created: subscription.created,
      currency: 'usd',
      customer: subscription.customer,
      ended_at: subscription.status === 'canceled' ? subscription.canceled_at : null,
      items: {
        object: 'list',
        data: subscription.items.map((item) => ({
          id: item.id,
          object: 'subscription_item',
          created: item.created,
          current_period_end: item.current_period_end,
          current_period_start: item.current_period_start,
          metadata: {},
          price: renderPrice(get(state.prices, 'price', item.price)),
          quantity: 1,
          subscription: subscription.id,
        })),
        has_more: false,
        url: `/v1/subscription_items?subscription=${subscription.id}`,
      },
      latest_invoice:
        latest && latestExpanded
          ? renderInvoice(
              get(state.invoices, 'invoice', latest),
              new Set(expand.has('latest_invoice.payments') ? ['payments'] : []),
            )
          : latest,
      livemode: false,
      metadata: subscription.metadata,
      start_date: subscription.created,
      status: subscription.status,
    };
  }

  /** Stripe's proration of a price change at `at`: credit for unused time on the old price, charge for the new. */
  function prorationLines(
    subscription: FakeSubscription,
    itemId: string,
    priceId: string,
    at: number,
  ): FakeInvoiceLine[] {
    const item = subscription.items.find((candidate) => candidate.id === itemId);
    if (!item) throw missing('subscription_item', itemId, 'items[0][id]');
    const oldPrice = get(state.prices, 'price', item.price);
    const newPrice = get(state.prices, 'price', priceId, 'items[0][price]');
    const share =
      Math.max(0, item.current_period_end - at) / (item.current_period_end - item.current_period_start);
    return [
      {
        id: newId('il'),
        amount: -Math.round(oldPrice.unit_amount * share),
        description: `Unused time on ${oldPrice.nickname ?? oldPrice.id}`,
        price: oldPrice.id,
        proration: true,
        subscription_item: item.id,
      },
      {
        id: newId('il'),
        amount: Math.round(newPrice.unit_amount * share),
        description: `Remaining time on ${newPrice.nickname ?? newPrice.id}`,
        price: newPrice.id,
        proration: true,
        subscription_item: item.id,
      },
    ];
  }

  /** Charges the customer's card for an invoice: a succeeded charge and payment, or a decline (402). */
  function attemptPayment(invoice: FakeInvoice): void {
    const customer = get(state.customers, 'customer', invoice.customer);
    const intent = newId('pi');
    const now = clock();
    const last4 =
      [...state.charges.values()].filter((charge) => charge.customer === customer.id).at(-1)?.last4 ?? '4242';
    const declined = customer.declineCode;
    invoice.attempt_count += 1;
    const charge: FakeCharge = {
      id: newId('ch'),
      customer: customer.id,
      amount: invoice.total,
      amount_refunded: 0,
      currency: invoice.currency,
      created: now,
      status: declined ? 'failed' : 'succeeded',
      payment_intent: intent,
      failure_code: declined ? 'card_declined' : null,
      failure_message: declined ? 'Your card was declined.' : null,
      outcome_reason: declined,
      last4,
    };
    state.charges.set(charge.id, charge);
    invoice.payments.push({
      id: newId('inpay'),
      invoice: invoice.id,
      payment_intent: intent,
      amount_requested: invoice.total,
      amount_paid: declined ? null : invoice.total,
      status: declined ? 'open' : 'paid',
      created: now,
    });
    if (declined) {
      invoice.next_payment_attempt = null;
      throw new StripeProblem(402, 'card_error', 'Your card was declined.', 'card_declined', undefined, {
        decline_code: declined,
        charge: charge.id,
      });
    }
    invoice.status = 'paid';
    invoice.next_payment_attempt = null;
  }

  return {
    // https://docs.stripe.com/api/customers/create
    'POST /v1/customers': (params: Params) => {
      accept(params, ['email', 'name', 'metadata', 'description']);
      const customer: FakeCustomer = {
        id: newId('cus'),
        email: text(params, 'email') ?? null,
        name: text(params, 'name') ?? null,
        metadata: metadataOf(params),
        created: clock(),
        balance: 0,
        declineCode: null,
      };
      state.customers.set(customer.id, customer);
      return renderCustomer(customer);
    },
    // https://docs.stripe.com/api/customers/list
    'GET /v1/customers': (params: Params) => {
      accept(params, ['email', 'limit', 'starting_after', 'ending_before', 'created', 'expand']);
      const email = text(params, 'email');
      const customers = newestFirst(state.customers.values()).filter(
        (customer) => email === undefined || customer.email === email,
      );
      return page('/v1/customers', customers, params, renderCustomer);
    },
    // https://docs.stripe.com/api/customers/search (query language: https://docs.stripe.com/search#search-query-language);
    // the fake understands `email:"…"` and `metadata['key']:'value'` clauses (either quote), joined by AND.
    'GET /v1/customers/search': (params: Params) => {
      accept(params, ['query', 'limit', 'page', 'expand']);
      const query = required(params, 'query');
      const clauses = query.split(/\s+AND\s+/i).map((clause) => {
        const match =
          /^(email):(["'])((?:(?!\2)[^\\]|\\.)*)\2$/.exec(clause.trim()) ??
          /^metadata\[(["'])([^"'\]]+)\1\]:(["'])((?:(?!\3)[^\\]|\\.)*)\3$/.exec(clause.trim());
        if (!match)
          throw new StripeProblem(
            400,
            'invalid_request_error',
            `The query clause ${clause} is not supported here.`,
            'parameter_invalid_string',
            'query',
          );
        return match[1] === 'email'
          ? { email: match[3]!.replace(/\\(.)/g, '$1') }
          : { key: match[2]!, value: match[4]!.replace(/\\(.)/g, '$1') };
      });
      const found = newestFirst(state.customers.values()).filter((customer) =>
        clauses.every((clause) =>
          'email' in clause
            ? customer.email === clause.email
            : customer.metadata[clause.key] === clause.value,
        ),
      );
      const limit = integer(params, 'limit') ?? 10;
      return {
        object: 'search_result',
        data: found.slice(0, limit).map(renderCustomer),
        has_more: found.length > limit,
        next_page: null,
        url: '/v1/customers/search',
      };
    },
    // https://docs.stripe.com/api/customers/retrieve
    'GET /v1/customers/:id': (params: Params, id: string) => {
      accept(params, ['expand']);
      return renderCustomer(get(state.customers, 'customer', id));
    },
    // https://docs.stripe.com/api/products/create
    'POST /v1/products': (params: Params) => {
      accept(params, ['name', 'metadata']);
      const product: FakeProduct = {
        id: newId('prod'),
        name: required(params, 'name'),
        metadata: metadataOf(params),
        created: clock(),
      };
      state.products.set(product.id, product);
      return renderProduct(product);
    },
    // https://docs.stripe.com/api/prices/create
    'POST /v1/prices': (params: Params) => {
      accept(params, [
        'product',
        'unit_amount',
        'currency',
        'recurring',
        'lookup_key',
        'nickname',
        'metadata',
      ]);
      get(state.products, 'product', required(params, 'product'), 'product');
      const recurring = params.recurring as Params | undefined;
      if (recurring?.interval !== 'month') {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          'The fake supports monthly recurring prices only.',
          'parameter_invalid',
          'recurring',
        );
      }
      const price: FakePrice = {
        id: newId('price'),
        product: required(params, 'product'),
        unit_amount: integer(params, 'unit_amount') ?? 0,
        currency: required(params, 'currency'),
        lookup_key: text(params, 'lookup_key') ?? null,
        nickname: text(params, 'nickname') ?? null,
        active: true,
        metadata: metadataOf(params),
        created: clock(),
      };
      state.prices.set(price.id, price);
      return renderPrice(price);
    },
    // https://docs.stripe.com/api/prices/list
    'GET /v1/prices': (params: Params) => {
      accept(params, ['lookup_keys', 'active', 'limit', 'starting_after', 'expand', 'product']);
      const keys = params.lookup_keys === undefined ? undefined : (params.lookup_keys as string[]);
      const active = text(params, 'active');
      const prices = newestFirst(state.prices.values()).filter(
        (price) =>
          (!keys || (price.lookup_key !== null && keys.includes(price.lookup_key))) &&
          (active === undefined || String(price.active) === active),
      );
      return page('/v1/prices', prices, params, renderPrice);
    },
    // https://docs.stripe.com/api/prices/retrieve
    'GET /v1/prices/:id': (params: Params, id: string) => {
      accept(params, ['expand']);
      return renderPrice(get(state.prices, 'price', id));
    },
    // https://docs.stripe.com/api/subscriptions/create (period set by backdate_start_date / billing_cycle_anchor)
    'POST /v1/subscriptions': (params: Params) => {
      accept(params, ['customer', 'items', 'backdate_start_date', 'billing_cycle_anchor', 'metadata']);
      const customer = get(state.customers, 'customer', required(params, 'customer'), 'customer');
      const items = params.items as Array<Params> | undefined;
      if (!Array.isArray(items) || items.length === 0)
        throw new StripeProblem(
          400,
          'invalid_request_error',
          'Missing required param: items.',
          'parameter_missing',
          'items',
        );
      const start = integer(params, 'backdate_start_date') ?? clock();
      const end = integer(params, 'billing_cycle_anchor') ?? monthLater(start);
      const subscription: FakeSubscription = {
        id: newId('sub'),
        customer: customer.id,
        status: 'active',
        cancel_at_period_end: false,
        canceled_at: null,
        created: start,
        latest_invoice: null,
        metadata: metadataOf(params),
        items: items.map((item, index) => ({
          id: newId('si'),
          price: get(state.prices, 'price', String(item.price), `items[${index}][price]`).id,
          current_period_start: start,
          current_period_end: end,
          created: start,
        })),
      };
      state.subscriptions.set(subscription.id, subscription);
      return renderSubscription(subscription, new Set());
    },
    // https://docs.stripe.com/api/subscriptions/list
    'GET /v1/subscriptions': (params: Params) => {
      accept(params, ['customer', 'status', 'price', 'limit', 'starting_after', 'expand']);
      const customer = text(params, 'customer');
      const status = text(params, 'status');
      const subscriptions = newestFirst(state.subscriptions.values()).filter(
        (subscription) =>
          (customer === undefined || subscription.customer === customer) &&
          (status === 'all' ||
            (status === undefined ? subscription.status !== 'canceled' : subscription.status === status)),
      );
      return page('/v1/subscriptions', subscriptions, params, (subscription) =>
        renderSubscription(subscription, new Set()),
      );
    },
    // https://docs.stripe.com/api/subscriptions/retrieve
    'GET /v1/subscriptions/:id': (params: Params, id: string) => {
      accept(params, ['expand']);
      return renderSubscription(get(state.subscriptions, 'subscription', id), expansionsOf(params));
    },
    // https://docs.stripe.com/api/subscriptions/update
    'POST /v1/subscriptions/:id': (params: Params, id: string) => {
      accept(params, [
        'cancel_at_period_end',
        'items',
        'proration_behavior',
        'payment_behavior',
        'proration_date',
        'expand',
        'metadata',
      ]);
      const subscription = get(state.subscriptions, 'subscription', id);
      if (subscription.status === 'canceled') {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          'A canceled subscription can only update its cancellation_details and metadata.',
        );
      }
      const cancel = text(params, 'cancel_at_period_end');
      if (cancel !== undefined) {
        subscription.cancel_at_period_end = cancel === 'true';
        // Stripe stamps canceled_at with the request time when a cancellation at period end is set.
        subscription.canceled_at = cancel === 'true' ? clock() : null;
      }
      const items = params.items as Array<Params> | undefined;
      if (items) {
        const behaviour = text(params, 'proration_behavior') ?? 'create_prorations';
        if (!['always_invoice', 'create_prorations', 'none'].includes(behaviour)) {
          throw new StripeProblem(
            400,
            'invalid_request_error',
            `Invalid proration_behavior: ${behaviour}`,
            'parameter_invalid',
            'proration_behavior',
          );
        }
        const change = items[0]!;
        const itemId = String(change.id);
        const priceId = String(change.price);
        const item = subscription.items.find((candidate) => candidate.id === itemId);
        if (!item) throw missing('subscription_item', itemId, 'items[0][id]');
        if (item.price !== priceId && behaviour === 'always_invoice') {
          const lines = prorationLines(
            subscription,
            itemId,
            priceId,
            integer(params, 'proration_date') ?? clock(),
          );
          const total = lines.reduce((sum, line) => sum + line.amount, 0);
          const invoice: FakeInvoice = {
            id: newId('in'),
            number: null,
            customer: subscription.customer,
            subscription: subscription.id,
            status: 'open',
            total,
            currency: 'usd',
            created: clock(),
            due_date: null,
            description: null,
            attempt_count: 0,
            next_payment_attempt: null,
            finalized_at: clock(),
            lines,
            payments: [],
          };
          state.invoices.set(invoice.id, invoice);
          if (total > 0) attemptPayment(invoice);
          else {
            invoice.status = 'paid';
            get(state.customers, 'customer', subscription.customer).balance += total;
          }
          subscription.latest_invoice = invoice.id;
        }
        item.price = get(state.prices, 'price', priceId, 'items[0][price]').id;
      }
      return renderSubscription(subscription, expansionsOf(params));
    },
    // https://docs.stripe.com/api/subscriptions/cancel
    'DELETE /v1/subscriptions/:id': (params: Params, id: string) => {
      accept(params, ['invoice_now', 'prorate', 'expand']);
      const subscription = get(state.subscriptions, 'subscription', id);
      if (subscription.status === 'canceled') {
        throw new StripeProblem(400, 'invalid_request_error', 'This subscription has already been canceled.');
      }
      subscription.status = 'canceled';
      subscription.canceled_at = clock();
      subscription.cancel_at_period_end = false;
      return renderSubscription(subscription, expansionsOf(params));
    },
    // https://docs.stripe.com/api/invoices/list
    'GET /v1/invoices': (params: Params) => {
      accept(params, ['customer', 'subscription', 'status', 'limit', 'starting_after', 'expand']);
      const customer = text(params, 'customer');
      const expand = new Set(
        [...expansionsOf(params)].filter((path) => path.startsWith('data.')).map((path) => path.slice(5)),
      );
      const invoices = newestFirst(state.invoices.values()).filter(
        (invoice) => customer === undefined || invoice.customer === customer,
      );
      return page('/v1/invoices', invoices, params, (invoice) => renderInvoice(invoice, expand));
    },
    // https://docs.stripe.com/api/invoices/search (query language: https://docs.stripe.com/search#search-query-language);
    // the fake understands clauses `field:"value"` on number, customer and status, joined by AND.
    'GET /v1/invoices/search': (params: Params) => {
      accept(params, ['query', 'limit', 'page', 'expand']);
      const query = required(params, 'query');
      const clauses = query.split(/\s+AND\s+/i).map((clause) => {
        const match = /^(number|customer|status):"((?:[^"\\]|\\.)*)"$/.exec(clause.trim());
        if (!match)
          throw new StripeProblem(
            400,
            'invalid_request_error',
            `The query clause ${clause} is not supported here.`,
            'parameter_invalid_string',
            'query',
          );
        return {
          field: match[1] as 'number' | 'customer' | 'status',
          value: match[2]!.replace(/\\(.)/g, '$1'),
        };
      });
      const expand = new Set(
        [...expansionsOf(params)].filter((path) => path.startsWith('data.')).map((path) => path.slice(5)),
      );
      const found = newestFirst(state.invoices.values()).filter((invoice) =>
        clauses.every((clause) => invoice[clause.field] === clause.value),
      );
      const limit = integer(params, 'limit') ?? 10;
      return {
        object: 'search_result',
        data: found.slice(0, limit).map((invoice) => renderInvoice(invoice, expand)),
        has_more: found.length > limit,
        next_page: null,
        url: '/v1/invoices/search',
      };
    },
    // https://docs.stripe.com/api/invoices/retrieve
    'GET /v1/invoices/:id': (params: Params, id: string) => {
      accept(params, ['expand']);
      return renderInvoice(get(state.invoices, 'invoice', id), expansionsOf(params));
    },
    // https://docs.stripe.com/api/invoices/pay
    'POST /v1/invoices/:id/pay': (params: Params, id: string) => {
      accept(params, ['expand', 'off_session', 'payment_method']);
      const invoice = get(state.invoices, 'invoice', id);
      if (invoice.status !== 'open')
        throw new StripeProblem(
          400,
          'invalid_request_error',
          `Invoice is ${invoice.status}; only open invoices can be paid.`,
          'invoice_not_open',
        );
      attemptPayment(invoice);
      return renderInvoice(invoice, expansionsOf(params));
    },
    // https://docs.stripe.com/api/invoices/create_preview
    'POST /v1/invoices/create_preview': (params: Params) => {
      accept(params, ['customer', 'subscription', 'subscription_details', 'expand']);
      const subscription = get(
        state.subscriptions,
        'subscription',
        required(params, 'subscription'),
        'subscription',
      );
      if (text(params, 'customer') !== undefined && text(params, 'customer') !== subscription.customer) {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          'The subscription does not belong to the customer.',
          'parameter_invalid',
          'customer',
        );
      }
      const details = (params.subscription_details ?? {}) as Params;
      const items = (details.items ?? []) as Array<Params>;
      const at = details.proration_date === undefined ? clock() : Number(details.proration_date);
      const lines = items.flatMap((item) =>
        prorationLines(subscription, String(item.id), String(item.price), at),
      );
      const preview: FakeInvoice = {
        id: `upcoming_${newId('in')}`,
        number: null,
        customer: subscription.customer,
        subscription: subscription.id,
        status: 'draft',
        total: lines.reduce((sum, line) => sum + line.amount, 0),
        currency: 'usd',
        created: clock(),
        due_date: null,
        description: null,
        attempt_count: 0,
        next_payment_attempt: null,
        finalized_at: null,
        lines,
        payments: [],
      };
      return renderInvoice(preview, new Set());
    },
    // https://docs.stripe.com/api/invoice-payment/list
    'GET /v1/invoice_payments': (params: Params) => {
      accept(params, ['invoice', 'payment', 'status', 'limit', 'starting_after', 'expand']);
      const payment = params.payment as Params | undefined;
      if (payment && payment.type !== 'payment_intent')
        throw new StripeProblem(
          400,
          'invalid_request_error',
          'Invalid payment[type]',
          'parameter_invalid',
          'payment[type]',
        );
      const invoice = text(params, 'invoice');
      const payments = newestFirst(
        [...state.invoices.values()].flatMap((candidate) => candidate.payments),
      ).filter(
        (candidate) =>
          (invoice === undefined || candidate.invoice === invoice) &&
          (!payment || candidate.payment_intent === payment.payment_intent),
      );
      return page('/v1/invoice_payments', payments, params, renderInvoicePayment);
    },
    // https://docs.stripe.com/api/charges/list
    'GET /v1/charges': (params: Params) => {
      accept(params, ['customer', 'payment_intent', 'created', 'limit', 'starting_after', 'expand']);
      const customer = text(params, 'customer');
      const intent = text(params, 'payment_intent');
      const charges = newestFirst(state.charges.values()).filter(
        (charge) =>
          (customer === undefined || charge.customer === customer) &&
          (intent === undefined || charge.payment_intent === intent),
      );
      return page('/v1/charges', charges, params, renderCharge);
    },
    // https://docs.stripe.com/api/charges/retrieve
    'GET /v1/charges/:id': (params: Params, id: string) => {
      accept(params, ['expand']);
      return renderCharge(get(state.charges, 'charge', id));
    },
    // https://docs.stripe.com/api/refunds/list
    'GET /v1/refunds': (params: Params) => {
      accept(params, [
        'charge',
        'payment_intent',
        'created',
        'limit',
        'starting_after',
        'ending_before',
        'expand',
      ]);
      const charge = text(params, 'charge');
      const intent = text(params, 'payment_intent');
      const refunds = newestFirst(state.refunds.values()).filter(
        (refund) =>
          (charge === undefined || refund.charge === charge) &&
          (intent === undefined || refund.payment_intent === intent),
      );
      return page('/v1/refunds', refunds, params, renderRefund);
    },
    // https://docs.stripe.com/api/refunds/create
    'POST /v1/refunds': (params: Params) => {
      accept(params, ['charge', 'payment_intent', 'amount', 'reason', 'metadata', 'expand']);
      const charge = get(state.charges, 'charge', required(params, 'charge'), 'charge');
      const reason = text(params, 'reason') ?? null;
      if (reason !== null && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason)) {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          `Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer`,
          'parameter_invalid',
          'reason',
        );
      }
      if (charge.status !== 'succeeded')
        throw new StripeProblem(
          400,
          'invalid_request_error',
          `Charge ${charge.id} has not succeeded.`,
          'charge_not_refundable',
        );
      if (charge.amount_refunded >= charge.amount) {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          `Charge ${charge.id} has already been refunded.`,
          'charge_already_refunded',
        );
      }
      const amount = integer(params, 'amount') ?? charge.amount - charge.amount_refunded;
      if (amount <= 0 || amount > charge.amount - charge.amount_refunded) {
        throw new StripeProblem(
          400,
          'invalid_request_error',
          `Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${((charge.amount - charge.amount_refunded) / 100).toFixed(2)})`,
          'amount_too_large',
          'amount',
        );
      }
      const refund: FakeRefund = {
        id: newId('re'),
        charge: charge.id,
        payment_intent: charge.payment_intent,
        amount,
        currency: charge.currency,
        reason,
        metadata: metadataOf(params),
        created: clock(),
      };
      state.refunds.set(refund.id, refund);
      charge.amount_refunded += amount;
      return renderRefund(refund);
    },
    // https://docs.stripe.com/api/customer_portal/sessions/create
    'POST /v1/billing_portal/sessions': (params: Params) => {
      accept(params, [
        'customer',
        'return_url',
        'flow_data',
        'after_expiration',
        'configuration',
        'locale',
        'expand',
      ]);
      const customer = get(state.customers, 'customer', required(params, 'customer'), 'customer');
      const flow = params.flow_data as Params | undefined;
      const after = params.after_expiration as Params | undefined;
      const login = after?.customer_login as Params | undefined;
      const session: FakePortalSession = {
        id: newId('bps'),
        customer: customer.id,
        created: clock(),
        return_url: text(params, 'return_url') ?? null,
        flow: flow ? String(flow.type) : null,
        after_expiration: after
          ? {
              type: String(after.type),
              expires_at: login?.expires_at === undefined ? null : Number(login.expires_at),
            }
          : null,
      };
      state.portalSessions.set(session.id, session);
      return {
        id: session.id,
        object: 'billing_portal.session',
        after_expiration: session.after_expiration
          ? {
              customer_login: { expires_at: session.after_expiration.expires_at },
              type: session.after_expiration.type,
            }
          : null,
        configuration: 'bpc_fake_default',
        created: session.created,
        customer: session.customer,
        flow: session.flow ? { type: session.flow } : null,
        livemode: false,
        locale: null,
        on_behalf_of: null,
        return_url: session.return_url,
        url: `https://billing.stripe.com/p/session/test_${session.id.slice(4)}`,
      };
    },
  } satisfies Record<string, (params: Params, id: string) => unknown>;
}

export type FakeStripeHandlers = ReturnType<typeof createHandlers>;
