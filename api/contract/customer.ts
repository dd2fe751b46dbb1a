import { z } from 'zod';

/*
 * The customer chat API (`/api/conversations`): what the widget sends and gets back, and the data
 * parts of the AI SDK UI message stream a turn is streamed as (docs/api.md "The UI message stream").
 * The routes validate with these schemas (api/routes/customer.ts), the stream mapper builds its parts
 * to these types (api/customer/ui-stream.ts), and ui/src/customer/ uses the inferred types.
 */

export const citationSchema = z.object({ slug: z.string(), title: z.string(), url: z.string().nullable() });

/** A message the customer sees: `GET /api/conversations/:id` and the `message` events of `/events`. System notes never reach the customer. */
export const customerMessageSchema = z.object({
  id: z.string(),
  role: z.enum(['customer', 'agent', 'human']),
  text: z.string(),
  citations: z.array(citationSchema),
  createdAt: z.string(),
  /** A person's reply: the name they work under, shown with it ("Dana (support team)"). */
  authorName: z.string().optional(),
});

/**
 * The conversation's rating: `open` (the chat offers it), `rated` (with what was given) or `not_yet`
 * (nothing answered or resolved yet, or a person still has it).
 */
export const csatViewSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('open') }),
  z.object({ state: z.literal('not_yet') }),
  z.object({
    state: z.literal('rated'),
    rating: z.number().int().min(1).max(5),
    comment: z.string().nullable(),
  }),
]);
export type CsatView = z.infer<typeof csatViewSchema>;

/** `GET /api/conversations/:id`. */
export const conversationViewSchema = z.object({
  id: z.string(),
  status: z.string(),
  outcome: z.string().nullable(),
  verified: z.boolean(),
  messages: z.array(customerMessageSchema),
  /** What the agent waits for: `confirmation`, `slot`, `verification_code`, `verification_email`. */
  pending: z
    .object({
      kind: z.string(),
      /** A pending confirmation's id: a Confirm/Decline names it. */
      actionId: z.string().optional(),
      actions: z.array(z.object({ connector: z.string(), operation: z.string() })),
    })
    .nullable(),
  /** A person has taken part or the conversation was escalated. */
  humanInvolved: z.boolean(),
  /** Whether the customer can rate the conversation now, or what they rated (docs/product.md, "CSAT"). */
  csat: csatViewSchema,
  /**
   * What the chat tells a customer waiting for a person: the usual reply time (minutes) and the team's
   * hours as text (SUPPORT_REPLY_WITHIN_MINUTES, SUPPORT_HOURS); either absent when not configured.
   */
  support: z
    .object({ replyWithinMinutes: z.number().int().positive().optional(), hours: z.string().optional() })
    .optional(),
});

/** `POST /api/conversations/:id/csat`: 1–5 and an optional comment, once per conversation. */
export const csatBodySchema = z.strictObject({
  rating: z.number().int().min(1).max(5),
  comment: z.string().max(1000).optional(),
});

/** The customer the host page signed in with an identity token. */
export const chatCustomerSchema = z.object({ name: z.string(), email: z.string() });

/** `POST /api/conversations`. */
export const startConversationBodySchema = z
  .object({ identityToken: z.string().min(10).max(8192).optional() })
  .default({});
export const startConversationResponseSchema = z.object({
  conversationId: z.string(),
  accessToken: z.string(),
  customer: chatCustomerSchema.nullable(),
  /**
   * How long the access token lives without being used (every accepted use slides its expiry this far
   * again): the chat page keeps the conversation that long, across reloads and tabs.
   */
  accessTokenTtlSeconds: z.number().int().positive().optional(),
});

/** The data parts of a streamed turn (`data-<name>` chunks). */
export const chatDataPartSchemas = {
  'tool-call': z.object({
    connector: z.string(),
    operation: z.string(),
    status: z.string(),
    latencyMs: z.number().nullable(),
    errorKind: z.string().optional(),
  }),
  confirmation: z.object({
    prompt: z.string(),
    /** The confirmation's id: Confirm/Decline name it (a stale one runs nothing). */
    actionId: z.string(),
    actions: z.array(
      z.object({
        connector: z.string(),
        operation: z.string(),
        input: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  }),
  verification: z.object({ email: z.string() }),
  'slot-request': z.object({ slot: z.string(), prompt: z.string() }),
  escalation: z.object({ escalationId: z.string().optional(), reason: z.string(), priority: z.string() }),
  resolution: z.object({ outcome: z.string() }),
  status: z.object({ status: z.string() }),
  /**
   * The conversation's new access token, sent once when a one-time code verified the visitor: the
   * token the client held stops working, every later call uses this one (docs/api.md).
   */
  'access-token': z.object({ accessToken: z.string() }),
};

export type CustomerMessage = z.infer<typeof customerMessageSchema>;
export type ConversationView = z.infer<typeof conversationViewSchema>;
export type ChatCustomer = z.infer<typeof chatCustomerSchema>;
export type StartConversationResponse = z.infer<typeof startConversationResponseSchema>;
export type ChatDataParts = {
  [Name in keyof typeof chatDataPartSchemas]: z.infer<(typeof chatDataPartSchemas)[Name]>;
};
