/**
 * The events outbound webhooks can subscribe to (docs/webhooks.md). Each is emitted by a database
 * trigger where its fact is stored, in the same transaction (`webhook_emit()`, migration 0021; the
 * rating's trigger in migration 0025).
 */
export const webhookEventTypes = [
  'conversation.escalated',
  'conversation.resolved',
  'action.executed',
  'approval.requested',
  'csat.received',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];
