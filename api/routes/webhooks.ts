import {
  accountOfContactEmail,
  createWebhookAccountResolver,
  processStripeEvent,
  StripeWebhookSignatureError,
  UnreadableStripeEventError,
  verifyStripeEvent,
  type WebhookAccountResolver,
} from '../../connectors/billing/stripe/webhooks.ts';
import type { RouteGroup } from '../context.ts';
import { errorBodySchema } from '../contract/errors.ts';
import { webhookAckSchema } from '../contract/webhooks.ts';
import { ApiError } from '../errors.ts';

/** A Stripe event is at most a few hundred KiB (an invoice with many lines); the rest of the API keeps 256 KiB. */
const webhookBodyLimit = 1024 * 1024;

/**
 * `POST /api/webhooks/stripe`: Stripe's events in. The body is read raw in this group only (its own
 * content-type parser: the bytes Stripe signed), verified with the endpoint's signing secret, then
 * processed once per event id (connectors/billing/stripe/webhooks.ts). Nothing is stored for a
 * delivery that does not verify; without a secret every delivery is refused (503), never accepted
 * unsigned. Neither the secret nor the body is ever logged.
 */
export const webhookRoutes: RouteGroup = async (app, context) => {
  const { pool } = context.database;
  const settings = context.settings.stripeWebhooks ?? {};

  // Scoped to this plugin: the other groups keep Fastify's JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: webhookBodyLimit }, (_request, body, done) =>
    done(null, body),
  );

  /** The Stripe backend's settings: environment, else what the admin stored (its secrets in the vault). */
  async function stripeSettings(): Promise<Record<string, string>> {
    try {
      return await context.backends.settingsOf('billing', 'stripe');
    } catch {
      // A vault that cannot be read fails the delivery (503, Stripe retries) rather than lose it.
      throw new ApiError('unavailable', 'The Stripe settings could not be read from the credentials vault');
    }
  }

  async function endpointSecret(): Promise<string> {
    const secret = settings.endpointSecret ?? (await stripeSettings()).webhook_secret;
    if (!secret) {
      throw new ApiError(
        'unavailable',
        "Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET, or enter the endpoint's signing secret on /admin → Connectors → Settings (Billing: Stripe)",
      );
    }
    return secret;
  }

  // One resolver per Stripe key and API base, so its customer → account answers stay cached.
  let resolver: { key: string; value: WebhookAccountResolver } | null = null;
  async function accountResolver(): Promise<WebhookAccountResolver> {
    // The Stripe billing backend's own key and API base (environment, else what the admin stored).
    const stripe = await stripeSettings();
    const apiKey = settings.apiKey ?? stripe.secret_key ?? null;
    const apiBase = settings.apiBase ?? stripe.api_base ?? null;
    const key = `${apiKey ?? ''}\u0000${apiBase ?? ''}`;
    if (resolver?.key !== key) {
      resolver = {
        key,
        value: createWebhookAccountResolver({
          secretKey: apiKey,
          apiBase,
          accountOfEmail: (email) => accountOfContactEmail(pool, email),
        }),
      };
    }
    return resolver.value;
  }

  app.post(
    '/api/webhooks/stripe',
    {
      bodyLimit: webhookBodyLimit,
      schema: {
        tags: ['webhooks'],
        summary: 'Stripe events in (signed with the endpoint secret; processed once per event id)',
        description:
          'Send the body exactly as Stripe signed it, with its `Stripe-Signature` header. Handled: `charge.refunded`, `invoice.payment_failed`, `customer.subscription.updated`; any other type is acknowledged and ignored. docs/connectors.md ("Stripe" → "Webhooks").',
        response: { 200: webhookAckSchema, 400: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request) => {
      const secret = await endpointSecret();
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let event: ReturnType<typeof verifyStripeEvent>;
      try {
        event = verifyStripeEvent(body, request.headers['stripe-signature'], secret, {
          ...(settings.toleranceSeconds !== undefined ? { toleranceSeconds: settings.toleranceSeconds } : {}),
        });
      } catch (error) {
        if (error instanceof StripeWebhookSignatureError) {
          request.log.warn({ reason: error.reason }, 'a Stripe webhook delivery was refused');
          throw new ApiError('validation_failed', error.message);
        }
        throw error;
      }

      let outcome: Awaited<ReturnType<typeof processStripeEvent>>;
      try {
        outcome = await processStripeEvent(pool, event, await accountResolver());
      } catch (error) {
        if (error instanceof UnreadableStripeEventError) {
          // Field names only: the message never quotes the object's values.
          request.log.warn(
            { stripeEvent: event.id, type: event.type, reason: error.message },
            'a Stripe event was not readable',
          );
          throw new ApiError('validation_failed', error.message);
        }
        // Stripe (asked who the customer is) or the database failed: nothing was stored; Stripe retries.
        request.log.error(
          {
            stripeEvent: event.id,
            type: event.type,
            err: { name: (error as Error).name, message: (error as Error).message },
          },
          'a Stripe event could not be processed',
        );
        throw new ApiError(
          'unavailable',
          `Stripe event ${event.id} could not be processed now; it was not recorded`,
        );
      }
      request.log.info(
        { stripeEvent: event.id, type: event.type, outcome: outcome.outcome, account: outcome.accountId },
        'Stripe webhook processed',
      );
      return { received: true as const, event: event.id, outcome: outcome.outcome };
    },
  );
};
