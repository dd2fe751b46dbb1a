import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  actionIdSchema,
  type ConfirmableAction,
  pendingActionId,
  type TurnInput,
} from '../../agent/turn-input.ts';
import { acceptCustomerMessage } from '../../conversations/chat-intake.ts';
import { type CsatState, csatState, recordCsat } from '../../conversations/csat.ts';
import { conversationOfCsatToken } from '../../conversations/csat-link.ts';
import { conversationChannel, type LiveEvent } from '../../conversations/live-events.ts';
import { demoCustomers } from '../../db/world/demo-world.ts';
import type { ApiContext, RouteGroup } from '../context.ts';
import {
  type CsatView,
  conversationViewSchema,
  csatBodySchema,
  csatViewSchema,
  startConversationBodySchema,
  startConversationResponseSchema,
} from '../contract/customer.ts';
import { authorizedConversation, conversationTokenTtlMs } from '../customer/access-tokens.ts';
import { customerMessages, startConversation } from '../customer/conversations.ts';
import { IdentityError, type VerifiedCustomer } from '../customer/identity.ts';
import { streamTurn } from '../customer/turn-stream.ts';
import { ApiError } from '../errors.ts';
import { openEventStream } from '../sse.ts';

const conversationParams = z.object({ id: z.string().regex(/^conv_[a-f0-9]{32}$/, 'not a conversation id') });
const messageText = z
  .string()
  .trim()
  .min(1, 'the message is empty')
  .max(4000, 'the message is over 4000 characters');
const clientMessageId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\w-]+$/, 'letters, digits, _ and - only');

/** Our own body, or what `useChat`'s default transport sends (the last user message is the new one). */
const sendMessageBody = z.union([
  z.object({ id: clientMessageId.optional(), text: messageText }),
  z.object({
    id: z.string().optional(),
    messages: z
      .array(
        z.object({
          id: clientMessageId,
          role: z.enum(['user', 'assistant', 'system']),
          parts: z.array(z.looseObject({ type: z.string() })),
        }),
      )
      .min(1),
  }),
]);

/** The bearer token (or `?access_token=` for EventSource, which cannot send headers). */
function extractText(body: z.infer<typeof sendMessageBody>): { text: string; id: string } {
  if ('text' in body) return { text: body.text, id: body.id ?? randomUUID() };
  const last = [...body.messages].reverse().find((message) => message.role === 'user');
  if (!last) throw new ApiError('validation_failed', 'Invalid body: messages has no user message');
  const text = last.parts
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join('\n');
  const parsed = messageText.safeParse(text);
  if (!parsed.success)
    throw new ApiError('validation_failed', `Invalid body: ${parsed.error.issues[0]?.message}`);
  return { text: parsed.data, id: last.id };
}

async function verifiedCustomer(
  context: ApiContext,
  token: string | undefined,
): Promise<VerifiedCustomer | null> {
  if (!token) return null;
  try {
    return await context.identity.verify(token);
  } catch (error) {
    if (error instanceof IdentityError) throw new ApiError('unauthorized', error.message);
    throw error;
  }
}

function csatView(state: CsatState): CsatView {
  return state.kind === 'rated'
    ? { state: 'rated', rating: state.rating.rating, comment: state.rating.comment }
    : { state: state.kind };
}

/** Customers: start, read and follow their own conversation; send messages; verify; confirm actions. */
export const customerRoutes: RouteGroup = async (app, context) => {
  const { pool } = context.database;
  const streams = new Set<() => void>();
  // Open event streams would otherwise keep the server from closing.
  app.addHook('preClose', async () => {
    for (const close of streams) close();
  });
  // The widget runs on the company's own site: its requests are cross-origin. No cookies are involved.
  await app.register(cors, {
    origin: context.settings.widgetOrigins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
    exposedHeaders: ['x-vercel-ai-ui-message-stream'],
    maxAge: 600,
  });

  app.post(
    '/api/conversations',
    {
      schema: {
        tags: ['customer'],
        summary: 'Start a conversation (anonymous, or verified with an identity token)',
        body: startConversationBodySchema,
        response: { 201: startConversationResponseSchema },
      },
    },
    async (request, reply) => {
      const customer = await verifiedCustomer(context, request.body.identityToken);
      const started = await startConversation(pool, customer);
      return reply.code(201).send({
        ...started,
        customer: customer ? { name: customer.name, email: customer.email } : null,
        // How long the token lives unused (each use slides it): the page keeps it as long (docs/api.md).
        accessTokenTtlSeconds: Math.floor(conversationTokenTtlMs(context) / 1000),
      });
    },
  );

  app.get(
    '/api/conversations/:id',
    {
      schema: {
        tags: ['customer'],
        summary: 'The conversation: messages, status, the pending confirmation',
        security: [{ conversationToken: [] }],
        params: conversationParams,
        response: { 200: conversationViewSchema },
      },
    },
    async (request) => {
      const conversation = authorizedConversation(request);
      const messages = await customerMessages(pool, conversation.id);
      const snapshot = await context.switchboard.agent.graph.getState({
        configurable: { thread_id: conversation.id },
      });
      const values = (snapshot.values ?? {}) as {
        awaiting?: { kind: string } | null;
        pendingActions?: ConfirmableAction[] | null;
      };
      const confirming = values.awaiting?.kind === 'confirmation' && (values.pendingActions ?? []).length > 0;
      return {
        id: conversation.id,
        status: conversation.status,
        outcome: conversation.outcome,
        verified: conversation.verified,
        messages,
        pending: values.awaiting
          ? {
              kind: values.awaiting.kind,
              ...(confirming ? { actionId: pendingActionId(values.pendingActions ?? []) } : {}),
              actions: (values.pendingActions ?? []).map(({ connector, operation }) => ({
                connector,
                operation,
              })),
            }
          : null,
        humanInvolved:
          messages.some((message) => message.role === 'human') || conversation.outcome === 'escalated',
        csat: csatView(await csatState(pool, conversation.id)),
        support: context.settings.supportHours ?? {},
      };
    },
  );

  /** Stores the message (before any byte is sent back), then streams the turn that answers it. */
  async function sendAndStream(
    request: FastifyRequest,
    reply: Parameters<typeof streamTurn>[1],
    input: TurnInput,
    id: string,
  ): Promise<void> {
    const conversation = authorizedConversation(request);
    const turn = await acceptCustomerMessage(pool, conversation.id, input, id);
    await streamTurn(context, reply, conversation.id, turn);
  }

  const perConversation = {
    rateLimit: {
      max: context.settings.rateLimit.messagesPerConversationPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request: { params: unknown; ip: string }) =>
        `conversation:${(request.params as { id?: string }).id ?? request.ip}`,
    },
  };

  app.post(
    '/api/conversations/:id/messages',
    {
      config: perConversation,
      schema: {
        tags: ['customer'],
        summary: 'Send a message; the reply streams back as an AI SDK UI message stream (SSE)',
        security: [{ conversationToken: [] }],
        params: conversationParams,
        body: sendMessageBody,
      },
    },
    async (request, reply) => {
      const { text, id } = extractText(request.body);
      await sendAndStream(request, reply, { kind: 'message', text }, id);
    },
  );

  // A button press is stored and run as a structured turn input (agent/turn-input.ts), never as text
  // the agent classifies again; the transcript shows it in the customer's words.
  app.post(
    '/api/conversations/:id/confirmation',
    {
      config: perConversation,
      schema: {
        tags: ['customer'],
        summary:
          'Confirm or decline the pending action named by actionId (from the confirmation request); streams the turn like a message',
        security: [{ conversationToken: [] }],
        params: conversationParams,
        body: z.object({
          decision: z.enum(['confirm', 'decline']),
          actionId: actionIdSchema,
          id: clientMessageId.optional(),
        }),
      },
    },
    async (request, reply) => {
      const { decision, actionId } = request.body;
      await sendAndStream(request, reply, { kind: decision, actionId }, request.body.id ?? randomUUID());
    },
  );

  app.post(
    '/api/conversations/:id/verification',
    {
      config: perConversation,
      schema: {
        tags: ['customer'],
        summary:
          'Ask for a one-time code at the account email (sent only if it is on file); streams the turn',
        security: [{ conversationToken: [] }],
        params: conversationParams,
        body: z.object({ email: z.email().max(320), id: clientMessageId.optional() }),
      },
    },
    async (request, reply) => {
      await sendAndStream(
        request,
        reply,
        { kind: 'verify_email', email: request.body.email },
        request.body.id ?? randomUUID(),
      );
    },
  );

  app.post(
    '/api/conversations/:id/verification/confirm',
    {
      config: perConversation,
      schema: {
        tags: ['customer'],
        summary: 'Submit the emailed 6-digit code; streams the turn (verified, or asked again)',
        security: [{ conversationToken: [] }],
        params: conversationParams,
        body: z.object({
          code: z.string().regex(/^\d{6}$/, 'the code has 6 digits'),
          id: clientMessageId.optional(),
        }),
      },
    },
    async (request, reply) => {
      await sendAndStream(
        request,
        reply,
        { kind: 'verify_code', code: request.body.code },
        request.body.id ?? randomUUID(),
      );
    },
  );

  app.post(
    '/api/conversations/:id/csat',
    {
      config: perConversation,
      schema: {
        tags: ['customer'],
        summary:
          'Rate the conversation 1–5 with an optional comment: once, after an answer or a resolution (409 otherwise)',
        security: [{ conversationToken: [] }],
        params: conversationParams,
        body: csatBodySchema,
        response: { 201: csatViewSchema },
      },
    },
    async (request, reply) => {
      const conversation = authorizedConversation(request);
      const rated = await recordCsat(pool, conversation.id, request.body, 'chat');
      return reply.code(201).send({ state: 'rated', rating: rated.rating, comment: rated.comment });
    },
  );

  // The email channel's "How did we do?" link: the signed token names one conversation and allows
  // only its rating (conversations/csat-link.ts) — it reads no message of it.
  const ratedByLink = (token: string) => {
    const conversationId = conversationOfCsatToken(context.csatLinks, token);
    if (!conversationId) throw new ApiError('not_found', 'This rating link is not valid');
    return conversationId;
  };
  const csatTokenParams = z.object({ token: z.string().min(1).max(200) });

  app.get(
    '/api/csat/:token',
    {
      schema: {
        tags: ['customer'],
        summary: "A rating link's conversation: whether it can be rated now, or what was rated",
        params: csatTokenParams,
        response: { 200: csatViewSchema },
      },
    },
    async (request) => csatView(await csatState(pool, ratedByLink(request.params.token))),
  );

  app.post(
    '/api/csat/:token',
    {
      config: {
        rateLimit: { max: 10, timeWindow: 60_000 },
      },
      schema: {
        tags: ['customer'],
        summary: 'Rate the conversation of an emailed rating link: once, 1–5 with an optional comment',
        params: csatTokenParams,
        body: csatBodySchema,
        response: { 201: csatViewSchema },
      },
    },
    async (request, reply) => {
      const rated = await recordCsat(pool, ratedByLink(request.params.token), request.body, 'email');
      return reply.code(201).send({ state: 'rated', rating: rated.rating, comment: rated.comment });
    },
  );

  app.get(
    '/api/conversations/:id/events',
    {
      schema: {
        tags: ['customer'],
        summary: 'Server-sent events: stored messages, status and escalation changes; Last-Event-ID resumes',
        security: [{ conversationToken: [] }],
        params: conversationParams,
        querystring: z.object({
          access_token: z.string().optional(),
          after: z.coerce.number().int().min(0).optional(),
        }),
      },
    },
    async (request, reply) => {
      const conversation = authorizedConversation(request);
      const lastEventId = Number(request.headers['last-event-id'] ?? Number.NaN);
      let lastSent = Number.isFinite(lastEventId) ? lastEventId : (request.query.after ?? 0);
      const events = openEventStream(request, reply, { streams });
      const buffered: LiveEvent[] = [];
      let replaying = true;
      const deliver = (live: LiveEvent) => {
        if (live.kind === 'message') {
          if (live.message.role === 'system' || Number(live.message.id) <= lastSent) return;
          lastSent = Number(live.message.id);
          events.send(
            'message',
            {
              ...live.message,
              citations: live.message.metadata.citations ?? [],
              // A person's reply names them (the chat shows it with their message).
              ...(live.message.role === 'human' && typeof live.message.metadata.humanName === 'string'
                ? { authorName: live.message.metadata.humanName }
                : {}),
            },
            live.message.id,
          );
        } else if (live.kind === 'status') {
          events.send('status', { status: live.status });
        } else if (live.kind === 'escalation') {
          events.send('escalation', { change: live.change });
        }
      };
      // Subscribe first, then replay what was stored since the client's last id: nothing falls in between.
      const unsubscribe = await context.bus.subscribe(conversationChannel(conversation.id), (live) => {
        if (replaying) buffered.push(live);
        else deliver(live);
      });
      events.onClose(() => void unsubscribe());
      for (const message of await customerMessages(pool, conversation.id, lastSent)) {
        lastSent = Number(message.id);
        events.send('message', message, message.id);
      }
      replaying = false;
      for (const live of buffered) deliver(live);
      events.send('status', { status: conversation.status });
    },
  );

  app.get(
    '/api/demo/identity-token',
    {
      schema: {
        tags: ['customer'],
        summary:
          'Embedded demo only: an identity token for a demo customer (what a company backend would sign)',
        querystring: z.object({ email: z.email() }),
        response: { 200: z.object({ identityToken: z.string() }) },
      },
    },
    async (request) => {
      if (context.settings.mode !== 'embedded' || !context.identity.signDemoToken)
        throw new ApiError('not_available', 'Demo identity tokens exist only in the embedded demo');
      // Only the named demo customers: this route must not sign in as any contact of the world.
      const email = request.query.email.toLowerCase();
      if (!Object.values(demoCustomers).some((customer) => customer.email === email))
        throw new ApiError('forbidden', 'Demo identity tokens are signed for the demo customers only');
      return { identityToken: await context.identity.signDemoToken(request.query.email) };
    },
  );
};
