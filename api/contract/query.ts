import { z } from 'zod';

/**
 * A comma-separated query value (`?status=open,claimed`) as a non-empty list of allowed values; a
 * value outside them is a 400 like any other invalid query. Shared by the queue and the inbox filters.
 */
export const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
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
