import { z } from 'zod';

/** The stable error codes clients can switch on (docs/api.md); the HTTP status follows from the code. */
export const apiErrorCodes = [
  'validation_failed',
  'unauthorized',
  'forbidden',
  'csrf_failed',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'verification_failed',
  'not_available',
  'unavailable',
  'internal',
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

/**
 * Every error response: `{ error: { code, message, details? } }`. The code is a string here, so a
 * response schema never rejects an error the server adds later; `ApiErrorCode` lists today's.
 */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
