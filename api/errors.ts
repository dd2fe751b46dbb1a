import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

import { ConversationStateError } from '../conversations/errors.ts';
import type { ApiErrorCode } from './contract/errors.ts';

/** The stable error codes (api/contract/errors.ts); every error response is `{ error: { code, message } }`. */
export type { ApiErrorCode };

const statusOf: Record<ApiErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  verification_failed: 400,
  not_available: 404,
  unavailable: 503,
  internal: 500,
};

/** An error a route means to return: its code decides the HTTP status. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.statusCode = statusOf[code];
  }
}

/** What the error handler sends (`errorBodySchema` of api/contract/errors.ts, with a known code). */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

/** Every failure becomes JSON with a stable code; 5xx messages never leak internals. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` },
    } satisfies ErrorBody);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.details === undefined ? {} : { details: error.details }),
        },
      } satisfies ErrorBody);
    }
    if ((error as unknown) instanceof ConversationStateError) {
      const refused = error as unknown as ConversationStateError;
      return reply.code(statusOf[refused.code]).send({
        error: { code: refused.code, message: refused.message },
      } satisfies ErrorBody);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((issue) => ({
        where: error.validationContext,
        path: issue.instancePath,
        message: issue.message,
      }));
      return reply.code(400).send({
        error: {
          code: 'validation_failed',
          message: `Invalid ${error.validationContext}: ${details.map((d) => `${d.path || '(root)'} ${d.message}`).join('; ')}`,
          details,
        },
      } satisfies ErrorBody);
    }
    const status = error.statusCode ?? 500;
    if (status === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: { code: 'payload_too_large', message: 'Request body is too large' },
      } satisfies ErrorBody);
    }
    if (status === 415) {
      return reply
        .code(415)
        .send({ error: { code: 'unsupported_media_type', message: error.message } } satisfies ErrorBody);
    }
    if (status === 429) {
      return reply
        .code(429)
        .send({ error: { code: 'rate_limited', message: error.message } } satisfies ErrorBody);
    }
    if (status >= 400 && status < 500) {
      // Malformed JSON, empty body with a JSON content type, and similar parser errors.
      return reply
        .code(400)
        .send({ error: { code: 'validation_failed', message: error.message } } satisfies ErrorBody);
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send({ error: { code: 'internal', message: 'Something went wrong on our side' } } satisfies ErrorBody);
  });
}
