import { z } from 'zod';

/** API keys of the MCP server (`/api/admin/api-keys`, docs/mcp.md): admin-created, shown once. */

const recordId = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be an id of letters, digits, _ . : -');

/** Whom a new key acts for: one customer of our directory, or one staff member. */
export const apiKeyCreateBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  subject: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('customer'), contactId: recordId }),
    z.strictObject({ kind: z.literal('staff'), humanId: recordId }),
  ]),
});
export type ApiKeyCreateBody = z.infer<typeof apiKeyCreateBodySchema>;

export const apiKeyParamsSchema = z.object({ id: recordId });

/** A key as listed: never the key nor its hash, only its first characters. */
export const apiKeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  keyPrefix: z.string(),
  kind: z.enum(['customer', 'staff']),
  contactId: z.string().nullable(),
  humanId: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

/** The answer to a create: the key in clear, this one time. */
export const apiKeyCreatedSchema = z.object({ key: z.string(), apiKey: apiKeyViewSchema });

export const apiKeyListSchema = z.object({ apiKeys: z.array(apiKeyViewSchema) });
