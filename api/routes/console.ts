import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import {
  claimEscalation,
  decideApproval,
  type EscalationDesk,
  handBackEscalation,
  replyToCustomer,
  resolveEscalation,
} from '../../conversations/escalations.ts';
import { consoleChannel, conversationChannel, type LiveEvent } from '../../conversations/live-events.ts';
import {
  authenticateHuman,
  clearSessionCookie,
  createHumanSession,
  destroyHumanSession,
  type HumanAgent,
  requireHuman,
  setSessionCookie,
} from '../auth/human-auth.ts';
import type { ApiContext, RouteGroup } from '../context.ts';
import {
  approvalBodySchema,
  approvalResponseSchema,
  escalationDetailSchema,
  escalationStateSchema,
  idParamsSchema,
  loginBodySchema,
  queueQuerySchema,
  queueResponseSchema,
  replyBodySchema,
  replyResponseSchema,
  sessionResponseSchema,
} from '../contract/console.ts';
import { errorBodySchema } from '../contract/errors.ts';
import { ApiError } from '../errors.ts';
import { openConsoleEventStream } from './console-events.ts';
import { trackPresence } from './console-presence.ts';
import { listEscalations, loadEscalationDetail } from './console-queries.ts';
import { registerConsoleScenarioRoutes } from './console-scenarios.ts';

const errorSchema = errorBodySchema;
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
const tags = ['console'];
const security = [{ consoleSession: [] }];

/** Login attempts per client address and email per minute (on top of scrypt's own cost). */
const loginAttemptsPerMinute = 10;

/**
 * Announces committed changes on the console channel and each conversation's channel; never fails the
 * request. A system message (a decision with its internal reason) is for the team: it never goes on
 * the customer's channel at all.
 */
async function announce(context: ApiContext, log: FastifyBaseLogger, events: LiveEvent[]): Promise<void> {
  for (const event of events) {
    try {
      await context.bus.publish(consoleChannel, event);
      const internal = event.kind === 'message' && event.message.role === 'system';
      if ('conversationId' in event && !internal)
        await context.bus.publish(conversationChannel(event.conversationId), event);
    } catch (error) {
      log.warn({ err: error, kind: event.kind }, 'live event not published');
    }
  }
}

const human = (request: { human?: HumanAgent }): HumanAgent => request.human!;

/** The human-agent console: session, escalation queue, actions on a conversation, live events. */
export const consoleRoutes: RouteGroup = async (app, context) => {
  const agentOnly = requireHuman(context, 'agent');
  const { pool } = context.database;
  const desk: EscalationDesk = {
    pool,
    lock: context.conversationLock,
    // Read when a hand-back happens: routes are registered before some tests compose an agent.
    agent: {
      handBack: (conversationId, humanId) => context.switchboard.agent.handBack(conversationId, humanId),
    },
    scheduleTurns: (conversationId) => context.jobs.enqueue('agent.turn', { conversationId }),
    // A human's reply in an email conversation is mailed in its thread (conversations/escalations.ts).
    ...(context.mail ? { mail: context.mail } : {}),
    logger: app.log,
  };

  app.post(
    '/api/console/login',
    {
      schema: {
        tags,
        summary: 'Sign in; sets the sb_session cookie and returns the CSRF token',
        body: loginBodySchema,
        response: { 200: sessionResponseSchema, 400: errorSchema, 401: errorSchema, 429: errorSchema },
      },
      config: {
        rateLimit: {
          max: loginAttemptsPerMinute,
          timeWindow: 60_000,
          // Counted after the body is parsed, per address and email: guessing one password is slow,
          // and one office behind a NAT does not lock everybody out.
          hook: 'preHandler',
          keyGenerator: (request) =>
            `login:${request.ip}:${String((request.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}`,
        },
      },
    },
    async (request, reply) => {
      const found = await authenticateHuman(pool, request.body.email, request.body.password);
      if (!found) throw new ApiError('unauthorized', 'Wrong email or password');
      const session = await createHumanSession(pool, found.id, context.settings.sessionTtlMs);
      setSessionCookie(reply, session.token, context.settings);
      request.log.info({ humanId: found.id }, 'console login');
      return { human: found, csrfToken: session.csrfToken };
    },
  );

  app.post(
    '/api/console/logout',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: 'Sign out: ends the session',
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await destroyHumanSession(pool, request.consoleSession!.id);
      clearSessionCookie(reply, context.settings);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/console/me',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: 'The signed-in human and the CSRF token',
        response: { 200: sessionResponseSchema, ...errors },
      },
    },
    async (request) => ({ human: human(request), csrfToken: request.consoleSession!.csrfToken }),
  );

  app.get(
    '/api/console/escalations',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: 'The escalation queue, most urgent first (priority, then waiting time)',
        querystring: queueQuerySchema,
        response: { 200: queueResponseSchema, ...errors },
      },
    },
    async (request) => ({ escalations: await listEscalations(pool, request.query, human(request).id) }),
  );

  app.get(
    '/api/console/escalations/:id',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: 'An escalation: packet, transcript and customer panel',
        params: idParamsSchema,
        response: { 200: escalationDetailSchema, ...errors },
      },
    },
    async (request) => {
      // The panel reads through the gateway as it is now (an admin may have switched a backend).
      const detail = await loadEscalationDetail(pool, request.params.id, {
        gateway: context.switchboard.gateway,
        humanId: human(request).id,
      });
      if (!detail) throw new ApiError('not_found', `No escalation ${request.params.id}`);
      return detail;
    },
  );

  const escalationAction = (
    path: string,
    summary: string,
    act: typeof claimEscalation | typeof resolveEscalation | typeof handBackEscalation,
  ) =>
    app.post(
      path,
      {
        preHandler: agentOnly,
        schema: {
          tags,
          security,
          summary,
          params: idParamsSchema,
          response: { 200: escalationStateSchema, ...errors },
        },
      },
      async (request) => {
        const result = await act(desk, request.params.id, human(request));
        await announce(context, request.log, result.events);
        return { escalation: result.escalation, conversationStatus: result.conversationStatus };
      },
    );
  escalationAction(
    '/api/console/escalations/:id/claim',
    'Claim an escalation (409 if someone else has)',
    claimEscalation,
  );
  escalationAction(
    '/api/console/escalations/:id/resolve',
    'Resolve the escalation and its conversation',
    resolveEscalation,
  );
  escalationAction(
    '/api/console/escalations/:id/hand-back',
    'Hand the conversation back to the assistant',
    handBackEscalation,
  );

  app.post(
    '/api/console/conversations/:id/replies',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: 'Reply to the customer (claims an open escalation)',
        params: idParamsSchema,
        body: replyBodySchema,
        response: { 201: replyResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const result = await replyToCustomer(desk, request.params.id, human(request), request.body.text);
      await announce(context, request.log, result.events);
      return reply.code(201).send({ message: result.message });
    },
  );

  app.post(
    '/api/console/conversations/:id/approval',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary:
          'Decide the pending action: approve or deny one waiting for approval, or retry (approve) or drop (deny) a failed write of a connector_failure escalation; carried out as a queued agent turn',
        params: idParamsSchema,
        body: approvalBodySchema,
        response: { 202: approvalResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      // An older console's `note` is kept as internal, joined to the internal reason (docs/api.md).
      const { note, ...body } = request.body;
      const internalReason = [body.internalReason, note].filter(Boolean).join('\n') || undefined;
      const result = await decideApproval(desk, request.params.id, human(request), {
        ...body,
        internalReason,
      });
      await announce(context, request.log, result.events);
      return reply.code(202).send({ queued: true as const, message: result.message });
    },
  );

  // "Save as test": a conversation as a regression scenario (docs/evals.md, "Captured scenarios").
  await registerConsoleScenarioRoutes(app, context);

  const streams = new Set<() => void>();
  app.addHook('onClose', async () => {
    // Open event streams would otherwise keep the server from closing.
    for (const close of streams) close();
  });

  app.get(
    '/api/console/events',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary:
          'Server-sent events: escalations opened/claimed/resolved/handed back, messages, status changes',
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      // An open stream is an online staff member (the inbox's presence, api/routes/console-presence.ts).
      const endPresence = await trackPresence(pool, human(request).id, request.log);
      reply.raw.once('close', endPresence);
      await openConsoleEventStream(context.bus, request, reply, streams);
    },
  );
};
