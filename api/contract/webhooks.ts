import { z } from 'zod';

/**
 * Webhooks in (`/api/webhooks/*`): what the server answers a sender. The request body is the
 * sender's own signed bytes, read raw (never parsed by a schema before its signature is checked).
 */

/** What became of a delivery: see `WebhookOutcome` in connectors/billing/stripe/webhooks.ts. */
export const webhookOutcomes = ['applied', 'superseded', 'ignored', 'duplicate'] as const;

/** A delivery Stripe may stop retrying (any 2xx): verified and processed, or already processed. */
export const webhookAckSchema = z.object({
  received: z.literal(true),
  event: z.string(),
  outcome: z.enum(webhookOutcomes),
});
export type WebhookAck = z.infer<typeof webhookAckSchema>;
