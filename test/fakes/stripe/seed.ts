import { randomBytes } from 'node:crypto';
import type { FakeCharge, FakeInvoice } from './objects.ts';
import type { FakeStripe } from './server.ts';

/**
 * Builds a Stripe world in the fake. Customers, products, prices and subscriptions are created
 * through the fake's HTTP API, form-encoded as Stripe takes them; invoices and their charges are
 * inserted as Stripe's billing engine would have produced them (a billing cycle and its payment
 * attempts are not something the API lets a client create directly).
 */
export function stripeSeeder(fake: FakeStripe) {
  async function post<T>(path: string, params: Record<string, string | number>): Promise<T> {
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fake.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(
        Object.entries(params).map(([key, value]): [string, string] => [key, String(value)]),
      ),
    });
    const body = (await response.json()) as T & { error?: { message: string } };
    if (!response.ok) throw new Error(`seeding ${path} failed: ${body.error?.message}`);
    return body;
  }

  return {
    async customer(email: string, options: { name?: string; accountId?: string } = {}): Promise<string> {
      const created = await post<{ id: string }>('/v1/customers', {
        email,
        ...(options.name ? { name: options.name } : {}),
        ...(options.accountId ? { 'metadata[switchboard_account_id]': options.accountId } : {}),
      });
      return created.id;
    },
    /** A product with a monthly price whose lookup_key is the plan id. */
    async plan(plan: string, unitAmount: number, nickname: string): Promise<string> {
      const product = await post<{ id: string }>('/v1/products', { name: nickname });
      const price = await post<{ id: string }>('/v1/prices', {
        product: product.id,
        unit_amount: unitAmount,
        currency: 'usd',
        'recurring[interval]': 'month',
        lookup_key: plan,
        nickname,
      });
      return price.id;
    },
    async subscription(
      customer: string,
      price: string,
      period: { start: string; end: string },
    ): Promise<string> {
      const created = await post<{ id: string }>('/v1/subscriptions', {
        customer,
        'items[0][price]': price,
        backdate_start_date: seconds(period.start),
        billing_cycle_anchor: seconds(period.end),
      });
      return created.id;
    },
    /** An invoice and the charges of its payment attempts, each attempt recorded as an invoice payment. */
    invoice(
      customer: string,
      options: {
        total: number;
        created: string;
        subscription?: string;
        status?: FakeInvoice['status'];
        /** The number printed on the invoice (null, as on a draft, when not given). */
        number?: string;
        description?: string;
        nextPaymentAttempt?: string;
        charges: Array<{ created: string } & Partial<Omit<FakeCharge, 'created'>>>;
      },
    ): { invoice: FakeInvoice; charges: FakeCharge[] } {
      const invoice = fake.insertInvoice({
        customer,
        total: options.total,
        created: seconds(options.created),
        subscription: options.subscription ?? null,
        status: options.status ?? 'paid',
        number: options.number ?? null,
        description: options.description ?? null,
        next_payment_attempt: options.nextPaymentAttempt ? seconds(options.nextPaymentAttempt) : null,
      });
      const charges = options.charges.map((charge) => {
        const intent = `pi_${randomBytes(12).toString('hex')}`;
        const made = fake.insertCharge({
          customer,
          amount: options.total,
          payment_intent: intent,
          ...charge,
          created: seconds(charge.created),
        });
        invoice.payments.push({
          id: `inpay_${randomBytes(12).toString('hex')}`,
          invoice: invoice.id,
          payment_intent: made.payment_intent,
          amount_requested: made.amount,
          amount_paid: made.status === 'succeeded' ? made.amount : null,
          status: made.status === 'succeeded' ? 'paid' : 'open',
          created: made.created,
        });
        if (made.status === 'failed') invoice.attempt_count += 1;
        return made;
      });
      return { invoice, charges };
    },
  };
}

export const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
