import { z } from 'zod';
import { escalationReasons } from '../../agent/escalation-reasons.ts';

/** Request and response schemas of the human-agent console (`/api/console`), shared with the UI. */

export const escalationStatuses = ['open', 'claimed', 'resolved', 'handed_back'] as const;
export { escalationReasons };
export const priorities = ['low', 'normal', 'high', 'urgent'] as const;

export const humanSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['agent', 'admin']),
});

export const loginBodySchema = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
});

export const sessionResponseSchema = z.object({ human: humanSchema, csrfToken: z.string() });

/** A comma-separated query value (`?status=open,claimed`) as a non-empty list of allowed values. */
const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(500)
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

export const queueQuerySchema = z.object({
  status: commaList(escalationStatuses).default(['open', 'claimed']),
  reason: commaList(escalationReasons).optional(),
  priority: commaList(priorities).optional(),
  mine: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true'),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export const idParamsSchema = z.object({ id: z.string().min(1).max(200) });

const customerSummarySchema = z.object({
  contactId: z.string().nullable(),
  accountId: z.string().nullable(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  accountName: z.string().nullable(),
  tier: z.string().nullable(),
  verified: z.boolean(),
});

export const queueItemSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  reason: z.enum(escalationReasons),
  priority: z.enum(priorities),
  status: z.enum(escalationStatuses),
  conversationStatus: z.string(),
  createdAt: z.iso.datetime(),
  /** Seconds since the escalation was opened (until it was resolved). */
  waitingSeconds: z.number().int().min(0),
  slaDueAt: z.iso.datetime().nullable(),
  slaBreached: z.boolean(),
  summary: z.string(),
  /** The action waiting for a human's approval, if any. */
  pendingAction: z.boolean(),
  customer: customerSummarySchema,
  claimedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  claimedAt: z.iso.datetime().nullable(),
  resolvedAt: z.iso.datetime().nullable(),
});

export const queueResponseSchema = z.object({ escalations: z.array(queueItemSchema) });

/** The escalation packet the agent stored (agent/escalation-packet.ts); loose so older packets still show. */
export const packetSchema = z.looseObject({
  reason: z.string(),
  identity: z.looseObject({
    contactId: z.string().nullable(),
    accountId: z.string().nullable(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    verified: z.boolean(),
    tier: z.string().nullable(),
  }),
  intent: z.string().nullable(),
  confidence: z.number(),
  slots: z.record(z.string(), z.string()),
  calls: z.array(
    z.looseObject({
      connector: z.string(),
      operation: z.string(),
      status: z.string(),
      latencyMs: z.number(),
      errorKind: z.string().optional(),
      message: z.string().optional(),
      at: z.string(),
    }),
  ),
  pendingAction: z
    .looseObject({
      connector: z.string(),
      operation: z.string(),
      input: z.record(z.string(), z.unknown()),
      idempotencyKey: z.string(),
      reason: z.string(),
    })
    .nullable(),
  summary: z.string(),
  suggestedReply: z.string(),
  transcript: z.array(z.looseObject({ role: z.string(), text: z.string(), at: z.string() })),
});

export const liveMessageSchema = z.object({
  id: z.string(),
  role: z.enum(['customer', 'agent', 'human', 'system']),
  text: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});

export const customerPanelSchema = z.object({
  contact: z
    .object({
      id: z.string(),
      name: z.string(),
      email: z.string(),
      phone: z.string().nullable(),
      title: z.string().nullable(),
      timezone: z.string(),
    })
    .nullable(),
  account: z
    .object({
      id: z.string(),
      name: z.string(),
      tier: z.string(),
      region: z.string(),
      ownerName: z.string().nullable(),
      ownerEmail: z.string().nullable(),
    })
    .nullable(),
  subscription: z
    .object({
      id: z.string(),
      planId: z.string(),
      planName: z.string(),
      status: z.string(),
      periodStart: z.string().nullable(),
      periodEnd: z.string(),
      cancelAtPeriodEnd: z.boolean(),
    })
    .nullable(),
  invoices: z.array(
    z.object({
      id: z.string(),
      amountCents: z.number().int(),
      currency: z.string(),
      status: z.string(),
      issuedAt: z.string(),
      dueAt: z.string().nullable(),
      description: z.string().nullable(),
    }),
  ),
  tickets: z.array(
    z.object({
      id: z.string(),
      subject: z.string(),
      status: z.string(),
      priority: z.string(),
      category: z.string(),
      createdAt: z.iso.datetime(),
      updatedAt: z.iso.datetime(),
    }),
  ),
});

export const escalationDetailSchema = z.object({
  escalation: queueItemSchema,
  conversation: z.object({
    id: z.string(),
    channel: z.enum(['chat', 'email']),
    status: z.string(),
    outcome: z.string().nullable(),
    verified: z.boolean(),
    subject: z.string().nullable(),
    createdAt: z.iso.datetime(),
  }),
  packet: packetSchema,
  transcript: z.array(liveMessageSchema),
  customer: customerPanelSchema,
});

export const replyBodySchema = z.object({ text: z.string().trim().min(1).max(10_000) });
export const replyResponseSchema = z.object({ message: liveMessageSchema });

export const approvalBodySchema = z.object({
  approved: z.boolean(),
  note: z.string().trim().max(2_000).optional(),
});
export const approvalResponseSchema = z.object({ queued: z.literal(true), message: liveMessageSchema });

export const escalationStateSchema = z.object({
  escalation: z.object({ id: z.string(), status: z.enum(escalationStatuses), conversationId: z.string() }),
  conversationStatus: z.string(),
});

export type QueueQuery = z.output<typeof queueQuerySchema>;
export type QueueItem = z.infer<typeof queueItemSchema>;
export type EscalationDetail = z.infer<typeof escalationDetailSchema>;
export type CustomerPanel = z.infer<typeof customerPanelSchema>;
export type ConsoleMessage = z.infer<typeof liveMessageSchema>;
