import { z } from 'zod';
import { customerPanelSchema, queueItemSchema } from './console.ts';
import { liveMessageSchema } from './events.ts';
import { commaList } from './query.ts';
import { escalationReasons, humanRoles, priorities } from './values.ts';

/**
 * The console inbox's API contract (`/api/console/inbox`): every conversation (agent-handled,
 * escalated, claimed, resolved) with filters and full-text search, assignment, internal notes with
 * @mentions, canned replies and the customer sidebar. Imports only zod and the other contract modules
 * (the UI bundle imports it).
 */

/** Where a conversation is, as the inbox groups them. */
export const inboxStates = ['agent', 'escalated', 'claimed', 'resolved'] as const;
export type InboxState = (typeof inboxStates)[number];

export const channels = ['chat', 'email'] as const;

/** The variables a canned reply may use; anything else in `{{…}}` is refused when it is saved. */
export const cannedReplyVariables = [
  'customer.name',
  'customer.first_name',
  'customer.email',
  'account.name',
  'agent.name',
  'agent.first_name',
  'conversation.id',
  'conversation.subject',
] as const;

const staffId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'not a staff or team id');

/** A search text: printable, with at least one letter or digit (the tsquery may still be empty: 400). */
const searchText = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((value) => !/\p{Cc}/u.test(value), 'the search text has control characters')
  .refine((value) => /[\p{L}\p{N}]/u.test(value), 'the search text has no word to search for');

export const inboxQuerySchema = z
  .strictObject(
    {
      state: commaList(inboxStates).optional(),
      channel: commaList(channels).optional(),
      reason: commaList(escalationReasons).optional(),
      priority: commaList(priorities).optional(),
      /** `me`, `none` (nobody assigned) or a staff member's id. */
      assignee: z.union([z.enum(['me', 'none']), staffId]).optional(),
      team: staffId.optional(),
      /** Conversations started at or after / before this instant (ISO 8601 with an offset). */
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      /** Web-search syntax over the transcripts' text: words, "a phrase", or, -word. */
      q: searchText.optional(),
      /** Only conversations with something unread for me. */
      unread: z.enum(['true', 'false']).optional(),
      cursor: z
        .string()
        .max(200)
        .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor this server gave')
        .optional(),
      limit: z.coerce.number().int().min(1).max(100).default(25),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown filter ${issue.keys.map((key) => `"${key}"`).join(', ')}`
          : undefined,
    },
  )
  .refine((query) => !query.from || !query.to || Date.parse(query.from) <= Date.parse(query.to), {
    message: '"from" is after "to"',
    path: ['from'],
  });

const personSchema = z.object({ id: z.string(), name: z.string() });

export const inboxItemSchema = z.object({
  conversationId: z.string(),
  channel: z.enum(channels),
  state: z.enum(inboxStates),
  conversationStatus: z.string(),
  subject: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastMessage: z.object({ role: z.string(), text: z.string(), at: z.iso.datetime() }).nullable(),
  customer: z.object({
    contactId: z.string().nullable(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    accountName: z.string().nullable(),
    verified: z.boolean(),
  }),
  /** Whoever holds the conversation: whoever claimed its live escalation (they may reply), else its assignee. */
  assignee: personSchema.nullable(),
  team: personSchema.nullable(),
  /** The conversation's live (open or claimed) escalation, else its latest one. */
  escalation: z
    .object({
      id: z.string(),
      reason: z.enum(escalationReasons),
      priority: z.enum(priorities),
      status: queueItemSchema.shape.status,
      claimedBy: personSchema.nullable(),
      slaDueAt: z.iso.datetime().nullable(),
      slaBreached: z.boolean(),
    })
    .nullable(),
  /** Customer messages since I last opened the conversation. */
  unread: z.number().int().min(0),
  /** Notes mentioning me since I last opened it. */
  unreadMentions: z.number().int().min(0),
  /** Only with `q`: how well the transcript matches (higher first). */
  rank: z.number().optional(),
  /** Only with `q`: a customer or agent line that matched, words marked with «…». */
  match: z.string().optional(),
});

export const inboxResponseSchema = z.object({
  conversations: z.array(inboxItemSchema),
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: z.string().nullable(),
  /** Over the whole inbox (not only this page): conversations with unread customer messages, and mentions. */
  unread: z.object({ conversations: z.number().int(), mentions: z.number().int(), mine: z.number().int() }),
});

export const conversationParamsSchema = z.object({ id: z.string().min(1).max(200) });

export const noteSchema = z.object({
  id: z.string(),
  text: z.string(),
  author: personSchema.nullable(),
  mentions: z.array(personSchema),
  createdAt: z.iso.datetime(),
});

export const inboxConversationSchema = z.object({
  item: inboxItemSchema,
  transcript: z.array(liveMessageSchema),
  notes: z.array(noteSchema),
});

export const noteBodySchema = z.strictObject({ text: z.string().trim().min(1).max(10_000) });
export const noteResponseSchema = z.object({ note: noteSchema });

/** Assign to a person (and optionally their team), a team only, or nobody (both null). */
export const assignBodySchema = z.strictObject({
  humanId: staffId.nullable(),
  teamId: staffId.nullable().default(null),
});

export const assignmentResponseSchema = z.object({ item: inboxItemSchema });

export const presenceStates = ['online', 'away', 'offline'] as const;

export const staffMemberSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: z.enum(humanRoles),
  /** What to type after @ to mention them in a note: their email's local part. */
  handle: z.string(),
  /** `online`: a console open now; `away`: signed in within the last 15 minutes; else `offline`. */
  presence: z.enum(presenceStates),
  teams: z.array(personSchema),
});

export const staffResponseSchema = z.object({
  staff: z.array(staffMemberSchema),
  teams: z.array(personSchema.extend({ members: z.array(z.string()) })),
});

export const teamBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(80),
  members: z.array(staffId).max(200).default([]),
});

const variablePattern = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The `{{variables}}` a text uses (trimmed), in order of first use. */
export function templateVariables(text: string): string[] {
  return [...new Set([...text.matchAll(variablePattern)].map((match) => match[1]!))];
}

export const cannedReplyBodySchema = z.strictObject({
  title: z.string().trim().min(1).max(120),
  body: z
    .string()
    .trim()
    .min(1)
    .max(5000)
    .superRefine((body, context) => {
      const unknown = templateVariables(body).filter(
        (name) => !(cannedReplyVariables as readonly string[]).includes(name),
      );
      if (unknown.length > 0)
        context.addIssue({
          code: 'custom',
          message: `unknown variable ${unknown.map((name) => `{{${name}}}`).join(', ')}: use ${cannedReplyVariables.map((name) => `{{${name}}}`).join(', ')}`,
        });
    }),
});

export const cannedReplySchema = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  variables: z.array(z.string()),
  updatedAt: z.iso.datetime(),
});

export const cannedRepliesResponseSchema = z.object({ cannedReplies: z.array(cannedReplySchema) });
export const cannedReplyParamsSchema = z.object({ id: z.string().min(1).max(80) });
export const renderParamsSchema = z.object({
  id: z.string().min(1).max(200),
  replyId: z.string().min(1).max(80),
});
export const renderedReplySchema = z.object({
  text: z.string(),
  /** Variables the conversation has no value for (left empty in `text`): check before sending. */
  missing: z.array(z.string()),
});

/** Earlier conversations of the same verified customer, and payments with their refunds. */
export const sidebarSchema = z.object({
  verified: z.boolean(),
  /** Why nothing was read (an anonymous or unverified customer). */
  message: z.string().optional(),
  panel: customerPanelSchema,
  payments: z.array(
    z.object({
      id: z.string(),
      invoiceId: z.string(),
      amountCents: z.number().int(),
      status: z.string(),
      refundedCents: z.number().int(),
      createdAt: z.string(),
    }),
  ),
  paymentsStatus: z
    .object({
      state: z.enum(['ok', 'stale', 'unavailable']),
      connector: z.string(),
      message: z.string().optional(),
    })
    .optional(),
  earlierConversations: z.array(
    z.object({
      id: z.string(),
      channel: z.enum(channels),
      status: z.string(),
      subject: z.string().nullable(),
      createdAt: z.iso.datetime(),
    }),
  ),
});

export type InboxQuery = z.output<typeof inboxQuerySchema>;
export type InboxItem = z.infer<typeof inboxItemSchema>;
export type InboxResponse = z.infer<typeof inboxResponseSchema>;
export type InboxConversation = z.infer<typeof inboxConversationSchema>;
export type InboxNote = z.infer<typeof noteSchema>;
export type StaffMember = z.infer<typeof staffMemberSchema>;
export type StaffResponse = z.infer<typeof staffResponseSchema>;
export type CannedReply = z.infer<typeof cannedReplySchema>;
export type CannedRepliesResponse = z.infer<typeof cannedRepliesResponseSchema>;
export type RenderedReply = z.infer<typeof renderedReplySchema>;
export type Sidebar = z.infer<typeof sidebarSchema>;
export type AssignBody = z.input<typeof assignBodySchema>;
