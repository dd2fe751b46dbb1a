import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * The one rule every string that comes in must keep, whatever route it reaches: no NUL (U+0000).
 * PostgreSQL cannot store it — in `text` it fails the statement, in `jsonb` (`\u0000`) too — so a NUL
 * that reached a query used to answer 500. Registered once on the root instance, before any route group, as a
 * `preValidation` hook: it runs on every route's parsed body, querystring and path parameters
 * (decoded, so `%00` counts) before the route's schema, its `preHandler`s and its handler, and
 * answers 400 `validation_failed` with the standard error body (api/errors.ts).
 *
 * Object keys count too (a `jsonb` key cannot hold a NUL either). A raw body (a Buffer: the Stripe
 * webhook's signed bytes) is not text and is left alone; the route that reads it owns its bytes.
 */
export function installStringRules(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    for (const [where, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const path = nulPath(value);
      if (path !== null) {
        const message = `${path || '(root)'} contains a NUL character (U+0000), which is not allowed`;
        throw new ApiError('validation_failed', `Invalid ${where}: ${message}`, [
          { where, path, message: 'contains a NUL character (U+0000), which is not allowed' },
        ]);
      }
    }
  });
}

/**
 * The JSON pointer of the first string (or key) holding a NUL, or null. Iterative, so a deeply nested
 * body cannot overflow the stack; binary values (Buffers, typed arrays) are skipped.
 */
export function nulPath(root: unknown): string | null {
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
      continue;
    }
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue;
    if (value instanceof ArrayBuffer) continue;
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) stack.push([value[index], `${path}/${index}`]);
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      const pointer = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1').replaceAll('\u0000', '\\u0000')}`;
      if (key.includes('\u0000')) return pointer;
      stack.push([child, pointer]);
    }
  }
  return null;
}
