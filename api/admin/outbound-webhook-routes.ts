import { BlockedAddressError } from '../../jobs/webhooks/index.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  deliveriesQuerySchema,
  deliveryDetailSchema,
  deliveryListSchema,
  deliveryParamsSchema,
  redeliveryResponseSchema,
  subscriptionBodySchema,
  subscriptionDeletedSchema,
  subscriptionListSchema,
  subscriptionParamsSchema,
  subscriptionPatchSchema,
  subscriptionSecretSchema,
  webhookEventTypes,
  webhookSubscriptionSchema,
} from '../contract/outbound-webhooks.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange } from './shared.ts';

/** The audit log's connector id for webhook changes. */
const auditConnector = 'webhooks';

/**
 * A URL's scheme and host, for audit rows and logs: the path of an integration platform's hook URL
 * often works as a bearer secret (a Zapier catch hook), so it stays out of them.
 */
const originOf = (url: string) => new URL(url).origin;

/** Runs `work`, turning a refused address into a 400 that says why. */
async function checked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BlockedAddressError)
      throw new ApiError('validation_failed', `url: ${error.message}`);
    throw error;
  }
}

/**
 * Outbound webhooks on /admin: subscriptions (the secret shown once, at creation or rotation), the
 * delivery log, and redelivery by hand. Every change is in the audit log (connector `webhooks`).
 */
export async function registerOutboundWebhookRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const { subscriptions, dispatcher, log } = context.webhooks;

  const found = async (id: string) => {
    const subscription = await subscriptions.get(id);
    if (!subscription) throw new ApiError('not_found', `No webhook subscription "${id}"`);
    return subscription;
  };

  app.get(
    '/api/admin/webhooks',
    {
      schema: {
        ...adminSchema,
        summary: 'Outbound webhook subscriptions (never their secrets) and the events one can subscribe to',
        response: { 200: subscriptionListSchema },
      },
    },
    async () => ({ subscriptions: await subscriptions.list(), eventTypes: [...webhookEventTypes] }),
  );

  app.post(
    '/api/admin/webhooks',
    {
      schema: {
        ...adminSchema,
        summary:
          'Subscribe an endpoint to events; the answer holds the signing secret, shown this once (stored encrypted)',
        body: subscriptionBodySchema,
        response: { 201: subscriptionSecretSchema },
      },
    },
    async (request, reply) => {
      const human = request.human!;
      const created = await checked(() => subscriptions.create(request.body, human.id));
      const detail = {
        subscriptionId: created.subscription.id,
        origin: originOf(request.body.url),
        events: request.body.events,
      };
      await auditAdminChange(pool, human, auditConnector, 'admin.create_webhook', detail);
      request.log.info({ ...detail, adminId: human.id }, 'webhook subscription created');
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/api/admin/webhooks/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'Change a subscription: URL, events, description, enabled',
        params: subscriptionParamsSchema,
        body: subscriptionPatchSchema,
        response: { 200: webhookSubscriptionSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      await found(request.params.id);
      const updated = await checked(() => subscriptions.update(request.params.id, request.body));
      const detail = {
        subscriptionId: request.params.id,
        fields: Object.keys(request.body),
        ...(request.body.url ? { origin: originOf(request.body.url) } : {}),
      };
      await auditAdminChange(pool, human, auditConnector, 'admin.update_webhook', detail);
      request.log.info({ ...detail, adminId: human.id }, 'webhook subscription changed');
      return updated!;
    },
  );

  app.post(
    '/api/admin/webhooks/:id/rotate-secret',
    {
      schema: {
        ...adminSchema,
        summary: 'A new signing secret (the old one stops working at once); shown this once',
        params: subscriptionParamsSchema,
        response: { 200: subscriptionSecretSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      const subscription = await found(request.params.id);
      const secret = (await subscriptions.rotateSecret(subscription.id))!;
      await auditAdminChange(pool, human, auditConnector, 'admin.rotate_webhook_secret', {
        subscriptionId: subscription.id,
      });
      request.log.info({ subscriptionId: subscription.id, adminId: human.id }, 'webhook secret rotated');
      return { subscription, secret };
    },
  );

  app.delete(
    '/api/admin/webhooks/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'Delete a subscription, its deliveries and its secret (the events stay)',
        params: subscriptionParamsSchema,
        response: { 200: subscriptionDeletedSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      if (!(await subscriptions.remove(request.params.id))) {
        throw new ApiError('not_found', `No webhook subscription "${request.params.id}"`);
      }
      await auditAdminChange(pool, human, auditConnector, 'admin.delete_webhook', {
        subscriptionId: request.params.id,
      });
      request.log.info(
        { subscriptionId: request.params.id, adminId: human.id },
        'webhook subscription deleted',
      );
      return { deleted: true as const, id: request.params.id };
    },
  );

  app.get(
    '/api/admin/webhooks/deliveries',
    {
      schema: {
        ...adminSchema,
        summary: 'The delivery log: newest first, by subscription and status',
        querystring: deliveriesQuerySchema,
        response: { 200: deliveryListSchema },
      },
    },
    async (request) => ({ deliveries: await log.list(request.query) }),
  );

  app.get(
    '/api/admin/webhooks/deliveries/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'One delivery: the event sent and every attempt (response code, latency, error, next retry)',
        params: deliveryParamsSchema,
        response: { 200: deliveryDetailSchema },
      },
    },
    async (request) => {
      const delivery = await log.get(request.params.id);
      if (!delivery) throw new ApiError('not_found', `No webhook delivery "${request.params.id}"`);
      return delivery;
    },
  );

  app.post(
    '/api/admin/webhooks/deliveries/:id/redeliver',
    {
      schema: {
        ...adminSchema,
        summary: 'Send a delivery again now, with a fresh round of retries (refused while it is being sent)',
        params: deliveryParamsSchema,
        response: { 202: redeliveryResponseSchema },
      },
    },
    async (request, reply) => {
      const human = request.human!;
      const { id } = request.params;
      if (!(await log.get(id))) throw new ApiError('not_found', `No webhook delivery "${id}"`);
      if (!(await dispatcher.redeliver(id))) {
        throw new ApiError('conflict', 'The delivery is being sent right now; try again in a moment');
      }
      await auditAdminChange(pool, human, auditConnector, 'admin.redeliver_webhook', { deliveryId: id });
      request.log.info({ deliveryId: id, adminId: human.id }, 'webhook redelivery requested');
      return reply.code(202).send({ queued: true as const, delivery: (await log.get(id))! });
    },
  );
}
