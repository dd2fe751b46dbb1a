import { z } from 'zod';
import { liveMessageSchema } from './events.ts';
import { commaList } from './query.ts';
import { escalationReasons, escalationStatuses, humanRoles, priorities, queueSorts } from './values.ts';

/**
 * The human-agent console's API contract (`/api/console`): the request and response schemas the
 * routes validate with and the UI takes its types from (`z.infer`). Imports only zod and the other
 * contract modules, so the UI bundle can import it (docs/architecture.md, "The API contract").
 */

export { escalationReasons, escalationStatuses, liveMessageSchema, priorities, queueSorts };

export const humanSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(humanRoles),
});

export const loginBodySchema = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
});

export const sessionResponseSchema = z.object({ human: humanSchema, csrfToken: z.string() });

export const queueQuerySchema = z.object({
  status: commaList(escalationStatuses).default(['open', 'claimed']),
  reason: commaList(escalationReasons).optional(),
  priority: commaList(priorities).optional(),
  mine: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true'),
  /** `urgency`: priority, then the longest waiting (default); `oldest` / `newest`: by when opened. */
  sort: z.enum(queueSorts).default('urgency'),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export const idParamsSchema = z.object({ id: z.string().min(1).max(200) });

export const customerSummarySchema = z.object({
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
  /** An action waits for a human's decision (not one already carried out on a decision). */
  pendingAction: z.boolean(),
  /**
   * When the pending action was carried out on a human's decision: the escalation stays with them,
   * for their own note to the customer, until they resolve it.
   */
  decidedAt: z.iso.datetime().nullable(),
  /** The team's internal note (a decision's internal reason): staff only, never sent to the customer. */
  internalNote: z.string().nullable(),
  customer: customerSummarySchema,
  claimedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  claimedAt: z.iso.datetime().nullable(),
  resolvedAt: z.iso.datetime().nullable(),
});

export const queueResponseSchema = z.object({ escalations: z.array(queueItemSchema) });

/** A conversation and its escalation, as approvals shared between conversations name each other. */
export const approvalRefSchema = z.object({ conversationId: z.string(), escalationId: z.string() });

/** The exact connector call waiting for a human's decision (with its idempotency key). */
export const pendingActionSchema = z.object({
  connector: z.string(),
  operation: z.string(),
  input: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string(),
  reason: z.string(),
});

/**
 * The escalation packet: what a human gets on hand-over (agent/escalation-packet.ts builds it; the
 * agent's `EscalationPacket` type in agent/dependencies.ts must equal `EscalationPacket` here —
 * api/contract/contract.test.ts asserts it, since agent/ does not import api/).
 */
export const escalationPacketSchema = z.object({
  reason: z.enum(escalationReasons),
  identity: z.object({
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
    z.object({
      connector: z.string(),
      operation: z.string(),
      status: z.string(),
      latencyMs: z.number(),
      errorKind: z.string().optional(),
      message: z.string().optional(),
      at: z.string(),
    }),
  ),
  pendingAction: pendingActionSchema.nullable(),
  summary: z.string(),
  suggestedReply: z.string(),
  transcript: z.array(z.object({ role: z.string(), text: z.string(), at: z.string() })),
  /** The approval of the same action another conversation holds: it is decided there, for both. */
  awaitingApprovalIn: approvalRefSchema.optional(),
  /** Other conversations waiting on this approval: the decision is carried out in each. */
  alsoAwaitedBy: z.array(approvalRefSchema).optional(),
  /** A low-confidence hand-off of a help-center question: the articles the search found, best first. */
  knowledgeCandidates: z.array(z.string()).optional(),
});

/**
 * How one section of the customer panel was read through its connector: `ok`; `stale` — the system
 * was down and the pipeline served its last good answer, `ageSeconds` old; `unavailable` — the
 * connector failed (or the policy refused the read), the section is empty and `message` says why.
 * An `ok` section may carry a message too (e.g. the system knows no such customer).
 */
export const panelSectionStatusSchema = z.object({
  state: z.enum(['ok', 'stale', 'unavailable']),
  /** The connector the section was read through (`crm`, `billing`, `ticketing`). */
  connector: z.string(),
  ageSeconds: z.number().nonnegative().optional(),
  message: z.string().optional(),
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
  /**
   * The account's latest billing events from Stripe's webhooks, newest first: a refund, a failed
   * invoice payment, a subscription change. `superseded`: it arrived after a newer state of the
   * same object and changed nothing (kept for the history). Empty without Stripe webhooks.
   */
  billingEvents: z.array(
    z.object({
      eventId: z.string(),
      type: z.string(),
      objectType: z.string(),
      objectId: z.string(),
      status: z.string().nullable(),
      amountCents: z.number().int().nullable(),
      currency: z.string().nullable(),
      occurredAt: z.iso.datetime(),
      superseded: z.boolean(),
    }),
  ),
  /**
   * Per section read through a connector (the backend selected for its kind: built-in, Stripe,
   * HubSpot, Zendesk): whether it could be read. Absent when the conversation has no identified
   * customer (nothing was read); a section without an entry was read as before (older servers).
   */
  sections: z
    .object({
      contact: panelSectionStatusSchema,
      account: panelSectionStatusSchema,
      subscription: panelSectionStatusSchema,
      invoices: panelSectionStatusSchema,
      tickets: panelSectionStatusSchema,
    })
    .partial()
    .optional(),
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
    /** The customer's rating of the conversation (docs/product.md, "CSAT"), once given. */
    csat: z
      .object({
        rating: z.number().int().min(1).max(5),
        comment: z.string().nullable(),
        channel: z.enum(['chat', 'email']),
        createdAt: z.iso.datetime(),
      })
      .nullable(),
  }),
  packet: escalationPacketSchema,
  transcript: z.array(liveMessageSchema),
  customer: customerPanelSchema,
});

export const replyBodySchema = z.object({ text: z.string().trim().min(1).max(10_000) });
export const replyResponseSchema = z.object({ message: liveMessageSchema });

/**
 * A decision on a pending action (one waiting for approval, or a failed write of a connector_failure
 * escalation: approving retries it). The internal reason is for the team (kept on the escalation and
 * in the decision's record, shown in the console); only `customerMessage` ever reaches the customer.
 * `note` is the field older consoles sent (it used to be sent to the customer): it is accepted and
 * kept as internal — joined to `internalReason` — so an old client never leaks it (docs/api.md).
 * Other unknown fields are refused rather than guessed at.
 */
export const approvalBodySchema = z.strictObject(
  {
    approved: z.boolean(),
    /** Only your team sees it: the escalation, the decision's audit record and the console. */
    internalReason: z.string().trim().min(1).max(2_000).optional(),
    /** Sent to the customer as written, after the outcome (not when the action could not be done). */
    customerMessage: z.string().trim().min(1).max(2_000).optional(),
    /** Deprecated: an older console's note. Treated as internal, never sent to the customer. */
    note: z.string().trim().max(2_000).optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}: a decision takes approved, internalReason (only your team sees it) and customerMessage (sent to the customer as written)`
        : undefined,
  },
);

export const approvalResponseSchema = z.object({ queued: z.literal(true), message: liveMessageSchema });

export const escalationStateSchema = z.object({
  escalation: z.object({ id: z.string(), status: z.enum(escalationStatuses), conversationId: z.string() }),
  conversationStatus: z.string(),
});

export type Human = z.infer<typeof humanSchema>;
export type LoginBody = z.input<typeof loginBodySchema>;
export type SessionResponse = z.infer<typeof sessionResponseSchema>;
/** The queue's query as the server reads it (lists); the client sends it as comma-separated strings. */
export type QueueQuery = z.output<typeof queueQuerySchema>;
export type QueueItem = z.infer<typeof queueItemSchema>;
export type QueueResponse = z.infer<typeof queueResponseSchema>;
export type CustomerSummary = z.infer<typeof customerSummarySchema>;
export type EscalationPacket = z.infer<typeof escalationPacketSchema>;
export type PendingAction = NonNullable<EscalationPacket['pendingAction']>;
export type EscalationDetail = z.infer<typeof escalationDetailSchema>;
export type CustomerPanel = z.infer<typeof customerPanelSchema>;
export type PanelSectionStatus = z.infer<typeof panelSectionStatusSchema>;
export type ConsoleMessage = z.infer<typeof liveMessageSchema>;
export type ReplyBody = z.input<typeof replyBodySchema>;
export type ReplyResponse = z.infer<typeof replyResponseSchema>;
export type ApprovalBody = z.input<typeof approvalBodySchema>;
export type ApprovalResponse = z.infer<typeof approvalResponseSchema>;
export type EscalationState = z.infer<typeof escalationStateSchema>;
