import { z } from 'zod';

const argumentName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must be an argument name of the tool');

/** What the admin declares for one tool of the server. */
export const mcpToolSpecSchema = z.strictObject({
  /** False keeps the tool out of the connector (declared, but not offered). */
  include: z.boolean().default(true),
  /** Default: `read` when the tool's annotations say `readOnlyHint`, else `write`. */
  effect: z.enum(['read', 'write']).optional(),
  /** The argument that carries the verified customer's id, filled from the session — never from the model. */
  customer: z.strictObject({ argument: argumentName, from: z.enum(['contactId', 'accountId']) }).optional(),
  /** Every call waits for a person's approval (a policy action limit can require it above an amount instead). */
  needsApproval: z.boolean().default(false),
  /**
   * Writes: the natural key of the effect, from argument names (`refund:{order_id}:{amount_cents}`);
   * default: a hash of all arguments.
   */
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .regex(/^(?:[^{}]|\{[A-Za-z_][A-Za-z0-9_]*\})+$/, 'use text and {argument} placeholders')
    .optional(),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
});

/**
 * How to reach the server: a URL (streamable HTTP; an admin may add one), or the name of a stdio
 * server the server configuration declares (`MCP_STDIO_SERVERS`). A command cannot be declared here:
 * it would run on the host.
 */
export const mcpTransportSpecSchema = z.union(
  [
    z.strictObject({ url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }) }),
    z.strictObject({
      stdio: z
        .string({
          error:
            'name a stdio server of the server configuration (MCP_STDIO_SERVERS); a command cannot be declared here',
        })
        .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be the name of a configured stdio server'),
    }),
  ],
  {
    error:
      'give {"url": "https://…"} or {"stdio": "<name of a configured server>"}; commands can only be declared in the server configuration',
  },
);

/** The declaration of an `mcp` custom connector (docs/custom-connectors.md, "MCP servers as connectors"). */
export const mcpConnectorSpecSchema = z.strictObject({
  transport: mcpTransportSpecSchema,
  /** The tools offered as operations, by the server's tool name. */
  tools: z
    .record(z.string().min(1).max(128), mcpToolSpecSchema)
    .refine((tools) => Object.keys(tools).length > 0, 'declare at least one tool'),
});

export type McpConnectorSpec = z.infer<typeof mcpConnectorSpecSchema>;
export type McpToolSpec = z.infer<typeof mcpToolSpecSchema>;
