import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiApp, ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import {
  authorizeConversation,
  type ConversationRow,
  defaultConversationTokenTtlMs,
  revokeConversationToken,
} from './conversations.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The conversation whose token the guard accepted (routes declaring `conversationToken`). */
    conversation?: ConversationRow;
  }
}

/** The OpenAPI security scheme of the customer routes (api/server.ts): the conversation's access token. */
export const conversationTokenScheme = 'conversationToken';

/** The bearer token (or `?access_token=` for EventSource, which cannot send headers). */
export function presentedConversationToken(
  request: Pick<FastifyRequest, 'headers' | 'query'>,
): string | undefined {
  const header = typeof request.headers.authorization === 'string' ? request.headers.authorization : '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const fromQuery = (request.query as { access_token?: unknown } | undefined)?.access_token;
  return bearer ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
}

const declaresConversationToken = (request: FastifyRequest): boolean => {
  const security = (request.routeOptions.schema as { security?: Array<Record<string, unknown>> } | undefined)
    ?.security;
  return Boolean(security?.some((requirement) => conversationTokenScheme in requirement));
};

export const conversationTokenTtlMs = (context: ApiContext): number =>
  context.settings.conversationTokenTtlMs ?? defaultConversationTokenTtlMs;

/**
 * The conversation token's lifecycle at the boundary: every route that declares the
 * `conversationToken` security scheme (its `:id` the conversation) has the token checked before its
 * handler runs — missing, revoked, expired or replaced → 401, another conversation's → 404 — and an
 * accepted use slides its expiry by the configured lifetime. Registered once on the root instance
 * (api/server.ts), after validation, so `:id` is already a well-formed conversation id.
 */
export function installConversationTokenGuard(app: FastifyInstance, context: ApiContext): void {
  const ttlMs = conversationTokenTtlMs(context);
  app.addHook('preHandler', async (request) => {
    if (!declaresConversationToken(request)) return;
    const id = (request.params as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return;
    request.conversation = await authorizeConversation(
      context.database.pool,
      id,
      presentedConversationToken(request),
      ttlMs,
    );
  });
}

/** The conversation the guard authorized for this request (a route declaring `conversationToken`). */
export function authorizedConversation(request: FastifyRequest): ConversationRow {
  if (!request.conversation)
    throw new ApiError('unauthorized', 'This conversation needs its access token (Authorization: Bearer …)');
  return request.conversation;
}

const conversationParams = z.object({ id: z.string().regex(/^conv_[a-f0-9]{32}$/, 'not a conversation id') });

/**
 * `POST /api/conversations/:id/access-token/revoke`: the customer signed out or ended the
 * conversation. The token (checked by the guard) stops working at once; the conversation stays for
 * the support team. Registered in the customer routes' scope (their CORS).
 */
export async function conversationTokenRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  app.post(
    '/api/conversations/:id/access-token/revoke',
    {
      schema: {
        tags: ['customer'],
        summary:
          'Revoke this conversation access token (the customer signed out or ended the conversation); later calls with it answer 401',
        security: [{ [conversationTokenScheme]: [] }],
        params: conversationParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await revokeConversationToken(context.database.pool, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
