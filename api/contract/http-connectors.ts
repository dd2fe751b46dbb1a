import { z } from 'zod';

/**
 * The admin's HTTP connectors beyond the generic custom-connector routes (docs/custom-connectors.md):
 * importing an OpenAPI document into a draft declaration, and "Test operation".
 */

/** An OpenAPI 3.x document as JSON or YAML text, or the http(s) URL to fetch it from: one of the two. */
export const httpImportBodySchema = z
  .strictObject({
    document: z
      .string()
      .min(1)
      .max(1024 * 1024, 'the document is over 1 MB')
      .optional(),
    url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  })
  .refine((body) => (body.document === undefined) !== (body.url === undefined), {
    message: 'give either document or url',
  });

/** A draft operation as the picker lists it (its full declaration is in `spec.operations`). */
export const httpDraftOperationSchema = z.object({
  name: z.string(),
  method: z.string(),
  path: z.string(),
  effect: z.enum(['read', 'write']),
  description: z.string(),
});

export const httpImportResponseSchema = z.object({
  title: z.string(),
  /** The `http` kind's declaration, to pick operations from and complete, then PUT …/custom-connectors/:id. */
  spec: z.record(z.string(), z.unknown()),
  operations: z.array(httpDraftOperationSchema),
  warnings: z.array(z.string()),
});
export type HttpImportResponse = z.infer<typeof httpImportResponseSchema>;

/** Run one read operation for a chosen test contact, through the real pipeline. */
export const httpTestBodySchema = z.strictObject({
  operation: z.string().min(1).max(64),
  contactId: z.string().min(1).max(100),
  input: z.record(z.string(), z.unknown()).default({}),
});

/** The pipeline's answer as it is (`ok` with `data`, `error` with `kind`, …), and how long it took. */
export const httpTestResponseSchema = z.object({
  result: z.object({ status: z.string() }).catchall(z.unknown()),
  durationMs: z.number(),
});
