import { z } from 'zod';
import { escalationReasons } from './values.ts';

/**
 * "Save as test" (docs/evals.md, "Captured scenarios"): the console saves an escalated conversation
 * as a regression scenario; the admin eval page lists the saved ones and runs them as the
 * `captured` suite.
 */

/** `POST /api/console/conversations/:id/scenario`. */
export const saveScenarioBodySchema = z.strictObject({
  /** The scenario id; derived from the name when absent. */
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-" (at most 100)')
    .optional(),
  name: z.string().trim().min(1).max(200),
  outcome: z.enum(['resolved', 'answered', 'escalated']),
  escalationReason: z.enum(escalationReasons).nullable().optional(),
  /** Expect the writes this conversation made, each exactly once, and no other write. */
  expectSameWrites: z.boolean().optional(),
  /** Only build and return the scenario (the dialog's preview); nothing is stored. */
  preview: z.boolean().optional(),
});

export const savedScenarioSchema = z.object({
  id: z.string(),
  name: z.string(),
  conversationId: z.string(),
  expectedOutcome: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  /** The scenario in the suite-file format. */
  yaml: z.string(),
});

export const saveScenarioResponseSchema = z.object({
  saved: z.boolean(),
  id: z.string(),
  yaml: z.string(),
});

/** `GET /api/admin/captured-scenarios`. */
export const capturedScenarioListSchema = z.object({ scenarios: z.array(savedScenarioSchema) });
export const capturedScenarioParamsSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a scenario id'),
});

export type SaveScenarioBody = z.input<typeof saveScenarioBodySchema>;
export type SaveScenarioResponse = z.infer<typeof saveScenarioResponseSchema>;
export type SavedScenario = z.infer<typeof savedScenarioSchema>;
export type CapturedScenarioList = z.infer<typeof capturedScenarioListSchema>;
