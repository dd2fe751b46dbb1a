import { z } from 'zod';

/** The admin's custom connectors (docs/custom-connectors.md): declared, not written in TypeScript. */
export const customConnectorKindSchema = z.enum(['http', 'mcp']);

export const customConnectorParamsSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'not a custom connector id'),
});

/** Saving a connector: its kind, a title, and the kind's declaration (validated by that kind). */
export const customConnectorBodySchema = z.strictObject({
  kind: customConnectorKindSchema,
  title: z.string().min(1).max(120),
  spec: z.unknown(),
});

export const customConnectorEnabledBodySchema = z.strictObject({ enabled: z.boolean() });

/** A custom connector as the admin page shows it, with whether this process could build it. */
export const customConnectorViewSchema = z.object({
  id: z.string(),
  kind: customConnectorKindSchema,
  title: z.string(),
  version: z.number().int(),
  enabled: z.boolean(),
  spec: z.unknown(),
  updatedAt: z.string(),
  updatedBy: z.string().nullable(),
  /** `running`: built and registered; `unavailable`: registered without operations (see `problem`); `disabled`. */
  state: z.enum(['running', 'unavailable', 'disabled']),
  problem: z.string().nullable(),
  operations: z.array(
    z.object({ name: z.string(), effect: z.enum(['read', 'write']), description: z.string() }),
  ),
});
export type CustomConnectorView = z.infer<typeof customConnectorViewSchema>;

export const customConnectorListSchema = z.object({ connectors: z.array(customConnectorViewSchema) });

export const customConnectorVersionsSchema = z.object({
  versions: z.array(
    z.object({
      version: z.number().int(),
      kind: customConnectorKindSchema,
      title: z.string(),
      spec: z.unknown(),
      createdAt: z.string(),
      createdBy: z.string().nullable(),
    }),
  ),
});

export const customConnectorDeletedSchema = z.object({ deleted: z.boolean() });
