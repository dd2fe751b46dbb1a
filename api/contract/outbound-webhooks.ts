import { z } from 'zod';

/**
 * Outbound webhooks (`/api/admin/webhooks`, role admin; docs/webhooks.md): subscriptions, the delivery
 * log and redelivery, and the events a receiver gets. Not the inbound Stripe webhook (webhooks.ts).
 * The event list restates db/webhook-events.ts `webhookEventTypes`; outbound-webhooks.test.ts checks
 * they are equal.
 */

export const webhookEventTypes = [
  'conversation.escalated',
  'conversation.resolved',
  'action.executed',
  'approval.requested',
  'csat.received',
] as const;

export const webhookEventTypeSchema = z.enum(webhookEventTypes);

export const deliveryStatuses = ['pending', 'sending', 'retrying', 'delivered', 'failed'] as const;
export const subscriptionStates = ['healthy', 'failing', 'disabled'] as const;

// ── Events, as a receiver gets them ───────────────────────────────────────────────────────────────

const timestamp = z.string();
const channel = z.enum(['chat', 'email']).nullable();

/** `data` of each event type: ids and facts, never secrets, field values or message text. */
export const webhookEventDataSchemas = {
  'conversation.escalated': z.object({
    escalationId: z.string(),
    conversationId: z.string(),
    channel,
    contactId: z.string().nullable(),
    accountId: z.string().nullable(),
    reason: z.string(),
    priority: z.enum(['low', 'normal', 'high', 'urgent']),
    escalatedAt: timestamp,
  }),
  'conversation.resolved': z.object({
    conversationId: z.string(),
    channel,
    contactId: z.string().nullable(),
    accountId: z.string().nullable(),
    outcome: z.enum(['resolved', 'answered', 'escalated']).nullable(),
    resolvedAt: timestamp,
  }),
  'action.executed': z.object({
    auditId: z.string(),
    conversationId: z.string().nullable(),
    actor: z.string(),
    accountId: z.string().nullable(),
    connector: z.string(),
    operation: z.string(),
    idempotencyKey: z.string().nullable(),
    latencyMs: z.number(),
    executedAt: timestamp,
  }),
  'approval.requested': z.object({
    escalationId: z.string(),
    conversationId: z.string(),
    channel,
    contactId: z.string().nullable(),
    accountId: z.string().nullable(),
    priority: z.enum(['low', 'normal', 'high', 'urgent']),
    action: z.object({ connector: z.string(), operation: z.string() }).nullable(),
    requestedAt: timestamp,
  }),
  /** A satisfaction rating (1–5) was stored; its free-text comment is left out. `channel` is where it was given. */
  'csat.received': z.object({
    conversationId: z.string(),
    channel,
    contactId: z.string().nullable(),
    accountId: z.string().nullable(),
    rating: z.number().int().min(1).max(5),
    receivedAt: timestamp,
  }),
} satisfies Record<(typeof webhookEventTypes)[number], z.ZodType>;

/** The JSON body of every delivery. */
export const webhookEnvelopeSchema = z.discriminatedUnion(
  'type',
  webhookEventTypes.map((type) =>
    z.object({
      id: z.string(),
      type: z.literal(type),
      createdAt: timestamp,
      data: webhookEventDataSchemas[type],
    }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

// ── Admin API ─────────────────────────────────────────────────────────────────────────────────────

export const subscriptionParamsSchema = z.object({
  id: z.string().regex(/^whs_[0-9a-f]{24}$/, 'not a subscription id'),
});

export const deliveryParamsSchema = z.object({
  id: z.string().regex(/^whd_[0-9a-f]{32}$/, 'not a delivery id'),
});

const events = z
  .array(webhookEventTypeSchema)
  .min(1, 'subscribe to at least one event')
  .max(webhookEventTypes.length)
  .refine((list) => new Set(list).size === list.length, 'an event is listed twice');

/** `POST /api/admin/webhooks`: the endpoint and its events (the secret is generated, never sent in). */
export const subscriptionBodySchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
  events,
  description: z.string().trim().max(200).optional(),
  enabled: z.boolean().optional(),
});

/** `PATCH /api/admin/webhooks/:id`: any of the fields. */
export const subscriptionPatchSchema = subscriptionBodySchema
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'nothing to change');

export const webhookSubscriptionSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(webhookEventTypeSchema),
  enabled: z.boolean(),
  /** `failing` once a delivery used up its attempts, until one gets through again. */
  state: z.enum(subscriptionStates),
  consecutiveFailures: z.number(),
  failingSince: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const subscriptionListSchema = z.object({
  subscriptions: z.array(webhookSubscriptionSchema),
  /** Every event type one can subscribe to. */
  eventTypes: z.array(webhookEventTypeSchema),
});

/** The answer to a creation or a secret rotation: the only time the secret is shown. */
export const subscriptionSecretSchema = z.object({
  subscription: webhookSubscriptionSchema,
  secret: z.string(),
});

export const deliveriesQuerySchema = z.object({
  subscriptionId: subscriptionParamsSchema.shape.id.optional(),
  status: z.enum(deliveryStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const deliverySummarySchema = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  url: z.string(),
  eventId: z.string(),
  eventType: webhookEventTypeSchema,
  status: z.enum(deliveryStatuses),
  attempts: z.number(),
  lastResponseCode: z.number().nullable(),
  lastLatencyMs: z.number().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

export const deliveryAttemptSchema = z.object({
  attempt: z.number(),
  manual: z.boolean(),
  startedAt: z.string(),
  responseCode: z.number().nullable(),
  latencyMs: z.number(),
  error: z.string().nullable(),
  nextRetryAt: z.string().nullable(),
});

export const deliveryListSchema = z.object({ deliveries: z.array(deliverySummarySchema) });

export const deliveryDetailSchema = deliverySummarySchema.extend({
  payload: z.record(z.string(), z.unknown()),
  log: z.array(deliveryAttemptSchema),
});

export const redeliveryResponseSchema = z.object({
  queued: z.literal(true),
  delivery: deliverySummarySchema,
});

export const subscriptionDeletedSchema = z.object({ deleted: z.literal(true), id: z.string() });

export type WebhookEventType = (typeof webhookEventTypes)[number];
export type WebhookSubscription = z.infer<typeof webhookSubscriptionSchema>;
export type SubscriptionBody = z.input<typeof subscriptionBodySchema>;
export type SubscriptionPatch = z.input<typeof subscriptionPatchSchema>;
export type SubscriptionSecret = z.infer<typeof subscriptionSecretSchema>;
export type DeliverySummary = z.infer<typeof deliverySummarySchema>;
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;
export type DeliveryDetail = z.infer<typeof deliveryDetailSchema>;
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;
