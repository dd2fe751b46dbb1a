import { z } from 'zod';

/** The admin's declarative procedures (docs/procedures.md): workflows written in YAML, not TypeScript. */

export const procedureParamsSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'not a procedure id (2–40 of a-z, 0-9, "_")'),
});

/** Saving a procedure: its YAML, as written (comments are kept). */
export const procedureBodySchema = z.strictObject({
  source: z
    .string()
    .min(1)
    .max(64 * 1024),
});

export const procedureEnabledBodySchema = z.strictObject({ enabled: z.boolean() });

/** A problem (or a warning) at a path of the YAML (`steps.1.read`, `phrasings.0`). */
export const procedureIssueSchema = z.object({ path: z.string(), message: z.string() });
export type ProcedureIssueView = z.infer<typeof procedureIssueSchema>;

export const procedureViewSchema = z.object({
  id: z.string(),
  /** The intent the agent routes to it: `custom.<id>`. */
  intent: z.string(),
  title: z.string(),
  version: z.number().int(),
  enabled: z.boolean(),
  source: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string().nullable(),
  /** `loaded`: the agent runs it in this process; `invalid`: its stored YAML no longer loads (see `problem`). */
  state: z.enum(['loaded', 'disabled', 'invalid', 'pending']),
  problem: z.string().nullable(),
});
export type ProcedureView = z.infer<typeof procedureViewSchema>;

/** A saved procedure, with what the check found worth a look (e.g. a phrasing close to a built-in intent). */
export const procedureSavedSchema = procedureViewSchema.extend({ warnings: z.array(procedureIssueSchema) });

export const procedureListSchema = z.object({ procedures: z.array(procedureViewSchema) });

export const procedureVersionsSchema = z.object({
  versions: z.array(
    z.object({
      version: z.number().int(),
      title: z.string(),
      source: z.string(),
      createdAt: z.string(),
      createdBy: z.string().nullable(),
    }),
  ),
});

export const procedureDeletedSchema = z.object({ deleted: z.boolean() });
