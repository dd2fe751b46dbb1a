import { z } from 'zod';

const runId = z.string().regex(/^[\w-]{1,100}$/, 'not an eval run id');

/** `GET /api/admin/evals/compare?a=&b=`: a is the reference (older) run, b the one compared to it. */
export const evalCompareQuerySchema = z.object({ a: runId, b: runId });

const side = z
  .object({
    passed: z.boolean(),
    actualOutcome: z.string(),
    harmful: z.number().int(),
    error: z.string().nullable(),
  })
  .nullable();

export const evalCompareResponseSchema = z.object({
  a: z.object({ id: z.string(), suite: z.string(), startedAt: z.string() }),
  b: z.object({ id: z.string(), suite: z.string(), startedAt: z.string() }),
  /** Scenario runs whose outcome changed: broken first, then fixed, changed, added, removed. */
  changes: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      baseline: z.string(),
      run: z.number().int(),
      change: z.enum(['fixed', 'broken', 'changed', 'added', 'removed']),
      a: side,
      b: side,
    }),
  ),
  unchanged: z.number().int(),
  counts: z.object({
    fixed: z.number().int(),
    broken: z.number().int(),
    changed: z.number().int(),
    added: z.number().int(),
    removed: z.number().int(),
  }),
});

export type EvalCompareResponse = z.infer<typeof evalCompareResponseSchema>;
