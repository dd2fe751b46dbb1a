import type pg from 'pg';
import Stripe from 'stripe';
import { z } from 'zod';
import { invalidateAccountReads, invalidateConnectorReads } from '../../core/cache.ts';
import type { Queryable } from '../../core/queryable.ts';
import { createCustomerBinding } from './customer-binding.ts';
import { createStripeTransport } from './transport.ts';

/*
 * Stripe webhooks in (`POST /api/webhooks/stripe`, docs/connectors.md "Stripe" → "Webhooks"): the
 * event is verified with the endpoint's signing secret over the raw body (the official SDK's
 * `Stripe.webhooks.constructEvent`), recorded once by its event id, and — for the three types we
 * handle — recorded for the account's billing history, kept as the object's latest state unless a
 * newer one is already known, and the account's stale-read cache of billing reads dropped, all in
 * one transaction.
 */

/** The event types that change what the agent and the console see; any other is acknowledged and ignored. */
export const handledStripeEventTypes = [
  'charge.refunded',
  'invoice.payment_failed',
  'customer.subscription.updated',
] as const;
export type HandledStripeEventType = (typeof handledStripeEventTypes)[number];

/** Stripe's default tolerance (seconds) between the signature's timestamp and now. */
export const defaultWebhookToleranceSeconds = Stripe.webhooks.DEFAULT_TOLERANCE;

/** Why a delivery was refused before anything was read from it. */
export type SignatureFailure = 'missing_signature' | 'bad_signature' | 'stale_timestamp' | 'malformed_event';

/** A delivery that does not verify. Its message is ours: never the SDK's (which may quote the secret's end). */
export class StripeWebhookSignatureError extends Error {
  override name = 'StripeWebhookSignatureError';
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
  }
}

const failureMessages: Record<SignatureFailure, string> = {
  missing_signature: 'The Stripe-Signature header is missing',
  bad_signature: 'The Stripe-Signature header does not verify with the endpoint secret',
  stale_timestamp: 'The Stripe-Signature timestamp is outside the tolerance (replayed or delayed delivery)',
  malformed_event: 'The signed body is not a Stripe event',
};

/** An expandable reference: the id, or the object when expanded. */
const reference = z
  .union([z.string(), z.object({ id: z.string() })])
  .transform((value) => (typeof value === 'string' ? value : value.id));

/** The event envelope (https://docs.stripe.com/api/events/object); its `data.object` is read per type. */
export const stripeEventSchema = z.object({
  id: z.string().min(1),
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.number().int(),
  livemode: z.boolean(),
  api_version: z.string().nullish(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeWebhookEvent = z.infer<typeof stripeEventSchema>;

/**
 * Verifies a delivery and returns its event. `rawBody` must be the bytes Stripe sent (a re-serialised
 * JSON body no longer matches the signature). A signature that matches but is older than
 * `toleranceSeconds` is told apart (`stale_timestamp`) from one that does not match at all.
 */
export function verifyStripeEvent(
  rawBody: Buffer,
  signature: string | string[] | undefined,
  endpointSecret: string,
  options: { toleranceSeconds?: number; now?: () => number } = {},
): StripeWebhookEvent {
  if (typeof signature !== 'string' || signature.trim() === '') {
    throw new StripeWebhookSignatureError('missing_signature', failureMessages.missing_signature);
  }
  const tolerance = options.toleranceSeconds ?? defaultWebhookToleranceSeconds;
  const receivedAt = options.now?.();
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(
      rawBody,
      signature,
      endpointSecret,
      tolerance,
      undefined,
      receivedAt,
    );
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
      // A body that verified but is not JSON (only the secret's holder can sign one).
      throw new StripeWebhookSignatureError('malformed_event', failureMessages.malformed_event);
    }
    // Does it verify when the age is not checked? Then only the timestamp is wrong.
    let signedButStale = false;
    try {
      Stripe.webhooks.signature?.verifyHeader(rawBody, signature, endpointSecret, 0);
      signedButStale = true;
    } catch {
      signedButStale = false;
    }
    const reason = signedButStale ? 'stale_timestamp' : 'bad_signature';
    throw new StripeWebhookSignatureError(reason, failureMessages[reason]);
  }
  const parsed = stripeEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new StripeWebhookSignatureError('malformed_event', failureMessages.malformed_event);
  }
  return parsed.data;
}

// The fields of each object we read (never card details: `payment_method_details` is not read).
const chargeObject = z.object({
  id: z.string(),
  object: z.literal('charge'),
  customer: reference.nullish(),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  currency: z.string(),
  refunded: z.boolean(),
  status: z.string(),
});
const invoiceObject = z.object({
  id: z.string(),
  object: z.literal('invoice'),
  customer: reference.nullish(),
  customer_email: z.string().nullish(),
  status: z.string().nullable(),
  amount_due: z.number().int(),
  currency: z.string(),
  attempt_count: z.number().int(),
});
const subscriptionObject = z.object({
  id: z.string(),
  object: z.literal('subscription'),
  customer: reference,
  status: z.string(),
  cancel_at_period_end: z.boolean().optional(),
  currency: z.string().nullish(),
  items: z
    .object({
      data: z.array(
        z.object({
          quantity: z.number().int().nullish(),
          price: z.object({ unit_amount: z.number().int().nullish(), currency: z.string() }),
        }),
      ),
    })
    .optional(),
});

/** A verified event of a handled type whose object lacks a field we read (or has it mistyped). */
export class UnreadableStripeEventError extends Error {
  override name = 'UnreadableStripeEventError';
}

function read<Schema extends z.ZodType>(schema: Schema, event: StripeWebhookEvent): z.output<Schema> {
  const parsed = schema.safeParse(event.data.object);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(object)'}: ${issue.message}`);
  throw new UnreadableStripeEventError(
    `Stripe event ${event.id} (${event.type}) has an object this server cannot read: ${where.join('; ')}`,
  );
}

/** What a handled event says about one Stripe object. */
export interface BillingChange {
  objectType: 'charge' | 'invoice' | 'subscription';
  objectId: string;
  customerId: string | null;
  /** An email the object itself carries for its customer (an invoice's `customer_email`). */
  customerEmail: string | null;
  status: string | null;
  amountCents: number | null;
  currency: string | null;
  /**
   * The object's own progress, which only grows (a charge's `amount_refunded`, an invoice's
   * `attempt_count`; 0 for a subscription, which has none): it orders two events of one second.
   */
  rank: number;
}

/** The change a handled event describes; null for a type we do not handle. Throws `UnreadableStripeEventError`. */
export function billingChangeOf(event: StripeWebhookEvent): BillingChange | null {
  switch (event.type) {
    case 'charge.refunded': {
      const charge = read(chargeObject, event);
      return {
        objectType: 'charge',
        objectId: charge.id,
        customerId: charge.customer ?? null,
        customerEmail: null,
        status: charge.refunded ? 'refunded' : 'partially_refunded',
        amountCents: charge.amount_refunded,
        currency: charge.currency,
        rank: charge.amount_refunded,
      };
    }
    case 'invoice.payment_failed': {
      const invoice = read(invoiceObject, event);
      return {
        objectType: 'invoice',
        objectId: invoice.id,
        customerId: invoice.customer ?? null,
        customerEmail: invoice.customer_email ?? null,
        status: invoice.status === 'open' ? 'payment_failed' : invoice.status,
        amountCents: invoice.amount_due,
        currency: invoice.currency,
        rank: invoice.attempt_count,
      };
    }
    case 'customer.subscription.updated': {
      const subscription = read(subscriptionObject, event);
      const items = subscription.items?.data ?? [];
      const only = items.length === 1 ? items[0] : undefined;
      return {
        objectType: 'subscription',
        objectId: subscription.id,
        customerId: subscription.customer,
        customerEmail: null,
        status:
          subscription.status === 'active' && subscription.cancel_at_period_end
            ? 'active_until_period_end'
            : subscription.status,
        amountCents:
          only?.price.unit_amount === null || only?.price.unit_amount === undefined
            ? null
            : only.price.unit_amount * (only.quantity ?? 1),
        currency: only?.price.currency ?? subscription.currency ?? null,
        rank: 0,
      };
    }
    default:
      return null;
  }
}

/** How a webhook finds our account for a Stripe customer (the billing backend's binding rules). */
export interface WebhookAccountResolver {
  /** From the Stripe customer: `metadata.switchboard_account_id`, else our contact with its email. Throws when Stripe cannot be asked. */
  accountOfCustomer?(customerId: string): Promise<string | null>;
  /** Our account of the contact with this email (unique), for objects that carry their customer's email. */
  accountOfEmail(email: string): Promise<string | null>;
}

/**
 * The resolver over Stripe (`customers.retrieve`, through the backend's transport and customer
 * binding, whose answers are cached for 60 s) and our contacts. Without a Stripe key, only the
 * email an object carries can name the account.
 */
export function createWebhookAccountResolver(options: {
  secretKey?: string | null;
  apiBase?: string | null;
  accountOfEmail(email: string): Promise<string | null>;
}): WebhookAccountResolver {
  if (!options.secretKey) return { accountOfEmail: options.accountOfEmail };
  const binding = createCustomerBinding({
    transport: createStripeTransport({
      secretKey: options.secretKey,
      ...(options.apiBase ? { apiBase: options.apiBase } : {}),
    }),
    // Only the record → account direction is used here; no session is ever bound.
    directory: { customerOf: async () => null, accountOfEmail: options.accountOfEmail },
  });
  return {
    accountOfCustomer: (customerId) => binding.accountOfCustomer(customerId),
    accountOfEmail: options.accountOfEmail,
  };
}

/** Our account of the one contact with this email (two contacts with one address name nobody). */
export async function accountOfContactEmail(db: Queryable, email: string): Promise<string | null> {
  const { rows } = await db.query<{ account_id: string }>(
    'SELECT account_id FROM contacts WHERE lower(email) = lower($1) ORDER BY id LIMIT 2',
    [email],
  );
  return rows.length === 1 ? rows[0]!.account_id : null;
}

/** What became of a verified event. */
export interface WebhookOutcome {
  /**
   * `applied`: recorded and the object's state moved on; `superseded`: recorded in the history, but
   * a newer state of the object was already known (nothing else changed); `ignored`: a type we do
   * not handle (recorded as received); `duplicate`: this event id was already processed.
   */
  outcome: 'applied' | 'superseded' | 'ignored' | 'duplicate';
  accountId: string | null;
}

async function resolveAccount(
  change: BillingChange,
  resolver: WebhookAccountResolver,
): Promise<string | null> {
  if (change.customerId && resolver.accountOfCustomer) {
    const account = await resolver.accountOfCustomer(change.customerId);
    if (account) return account;
  }
  return change.customerEmail ? resolver.accountOfEmail(change.customerEmail) : null;
}

const seenBefore = async (db: Queryable, eventId: string) =>
  (await db.query('SELECT 1 FROM stripe_webhook_events WHERE event_id = $1', [eventId])).rows.length > 0;

/**
 * Processes a verified event exactly once. The account is resolved first (it may ask Stripe; a
 * failure there throws and nothing is stored, so Stripe's retry tries again); then, in one
 * transaction: the event id is claimed (a concurrent or later delivery of it finds the claim and
 * does nothing), the billing event recorded, the object's latest state replaced only by a newer
 * event (`created`, then the object's own progress), and the account's cached billing reads dropped.
 */
export async function processStripeEvent(
  pool: pg.Pool,
  event: StripeWebhookEvent,
  resolver: WebhookAccountResolver,
): Promise<WebhookOutcome> {
  const change = billingChangeOf(event);
  // A replay needs no lookup at Stripe; the claim below is what guarantees once.
  if (await seenBefore(pool, event.id)) return { outcome: 'duplicate', accountId: null };
  const accountId = change ? await resolveAccount(change, resolver) : null;
  const occurredAt = new Date(event.created * 1000);

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claimed = await client.query(
      `INSERT INTO stripe_webhook_events (event_id, type, livemode, created_at, outcome)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.id, event.type, event.livemode, occurredAt, change ? 'applied' : 'ignored'],
    );
    if (claimed.rows.length === 0) {
      await client.query('ROLLBACK');
      return { outcome: 'duplicate', accountId: null };
    }
    if (!change) {
      await client.query('COMMIT');
      return { outcome: 'ignored', accountId: null };
    }
    const moved = await client.query(
      `INSERT INTO billing_object_states
         (object_id, object_type, account_id, status, amount_cents, currency, event_id, event_created_at, rank)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (object_id) DO UPDATE SET
         account_id = COALESCE(EXCLUDED.account_id, billing_object_states.account_id),
         status = EXCLUDED.status, amount_cents = EXCLUDED.amount_cents, currency = EXCLUDED.currency,
         event_id = EXCLUDED.event_id, event_created_at = EXCLUDED.event_created_at, rank = EXCLUDED.rank,
         updated_at = now()
       WHERE (billing_object_states.event_created_at, billing_object_states.rank)
           < (EXCLUDED.event_created_at, EXCLUDED.rank)
       RETURNING object_id`,
      [
        change.objectId,
        change.objectType,
        accountId,
        change.status,
        change.amountCents,
        change.currency,
        event.id,
        occurredAt,
        change.rank,
      ],
    );
    const superseded = moved.rows.length === 0;
    await client.query(
      `INSERT INTO billing_events
         (event_id, account_id, type, object_type, object_id, status, amount_cents, currency, occurred_at, superseded)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        event.id,
        accountId,
        event.type,
        change.objectType,
        change.objectId,
        change.status,
        change.amountCents,
        change.currency,
        occurredAt,
        superseded,
      ],
    );
    if (superseded) {
      await client.query(`UPDATE stripe_webhook_events SET outcome = 'superseded' WHERE event_id = $1`, [
        event.id,
      ]);
    } else if (accountId) {
      // A later outage must not answer this account's billing reads with data from before the event.
      await invalidateAccountReads(client, 'billing', accountId);
    } else {
      // No account found, yet a session may have bound to this customer by its email: drop them all.
      await invalidateConnectorReads(client, 'billing');
    }
    await client.query('COMMIT');
    return { outcome: superseded ? 'superseded' : 'applied', accountId };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
