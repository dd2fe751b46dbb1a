import { z } from 'zod';
import { escalationChanges, messageRoles } from './values.ts';

/**
 * Live (server-sent) events of the console stream (`GET /api/console/events`): each is sent with its
 * `kind` as the SSE event type and the whole object as JSON data. The server publishes
 * `conversations/live-events.ts` `LiveEvent`s and streams those of these kinds; api/contract/contract.test.ts
 * checks they fit these schemas.
 */

/** A stored conversation message, as the console (and the customer's live stream) shows it. */
export const liveMessageSchema = z.object({
  id: z.string(),
  role: z.enum(messageRoles),
  text: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});
export type LiveMessage = z.infer<typeof liveMessageSchema>;

/** A message was stored (an agent reply, a human's reply, a system note). */
export const messageEventSchema = z.object({
  kind: z.literal('message'),
  conversationId: z.string(),
  message: liveMessageSchema,
});

/** A conversation's status changed. */
export const statusEventSchema = z.object({
  kind: z.literal('status'),
  conversationId: z.string(),
  status: z.string(),
});

/** An escalation was opened, claimed, resolved, handed back, or its SLA breached. */
export const escalationEventSchema = z.object({
  kind: z.literal('escalation'),
  conversationId: z.string(),
  escalationId: z.string(),
  change: z.enum(escalationChanges),
});

export const consoleEventSchema = z.discriminatedUnion('kind', [
  messageEventSchema,
  statusEventSchema,
  escalationEventSchema,
]);
export type ConsoleEvent = z.infer<typeof consoleEventSchema>;
export type ConsoleEventKind = ConsoleEvent['kind'];

/** The kinds the console stream sends (its SSE event types). */
export const consoleEventKinds = [
  'message',
  'status',
  'escalation',
] as const satisfies readonly ConsoleEventKind[];
