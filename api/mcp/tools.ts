import { z } from 'zod';
import type { ManagedConnectorGateway } from '../../connectors/core/connector-gateway.ts';
import type { AnyOperationDefinition } from '../../connectors/core/definition.ts';
import type { ApiKeyPrincipal } from './api-keys.ts';

/** The argument a write's tool takes for its idempotency key (docs/mcp.md, "Writes"). */
export const idempotencyArgument = 'idempotency_key';

/** What the caller's idempotency key must look like: opaque, printable, long enough to be unique. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,200}$/, 'must be 8–200 characters of letters, digits, . _ : -');

/** MCP tool names (and the strictest clients'): letters, digits, `_` and `-`, at most 64 characters. */
const toolNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** One connector operation offered as an MCP tool. */
export interface McpTool {
  /** `<connector>__<operation>`, e.g. `billing__get_invoice`. */
  name: string;
  connectorId: string;
  operation: AnyOperationDefinition;
  /** The JSON Schema of the tool's arguments (the session-bound customer field removed). */
  inputSchema: { type: 'object'; [key: string]: unknown };
}

/** The tool name of a connector operation (`billing__get_invoice`). */
export const toolNameOf = (connectorId: string, operationName: string): string =>
  `${connectorId}__${operationName}`;

/**
 * The tools a principal may see now: every operation of every registered connector (built-in and
 * run-time ones) that the connector's policy allows; a staff key only sees operations that name no
 * customer record (no customer key, no ownership check). Built at each request, so a policy change
 * or a connector an admin adds shows at the next `tools/list`. The pipeline still decides each call.
 */
export async function toolsFor(
  gateway: ManagedConnectorGateway,
  principal: ApiKeyPrincipal,
): Promise<McpTool[]> {
  const tools: McpTool[] = [];
  for (const connector of gateway.definitions()) {
    let allowed: string[] | undefined;
    try {
      allowed = (await gateway.getPolicy(connector.id)).allowedOperations;
    } catch {
      // An invalid stored policy refuses every call of the connector: offer none of its tools.
      continue;
    }
    for (const operation of Object.values(connector.operations)) {
      if (allowed && !allowed.includes(operation.name)) continue;
      if (principal.kind === 'staff' && (operation.customerKey || operation.ownership)) continue;
      const name = toolNameOf(connector.id, operation.name);
      if (!toolNamePattern.test(name)) continue;
      const inputSchema = argumentsSchemaOf(operation);
      if (!inputSchema) continue;
      tools.push({ name, connectorId: connector.id, operation, inputSchema });
    }
  }
  return tools;
}

/** The tool as `tools/list` shows it: description, argument schema and behaviour hints. */
export function describeTool(tool: McpTool) {
  const { operation } = tool;
  const write = operation.effect === 'write';
  const notes = write
    ? ` Write: pass ${idempotencyArgument} (the same value for a retry of the same action: it runs once).` +
      (operation.mayNeedApproval
        ? ' Above the policy limit it is not done and the result is approval_required.'
        : '')
    : '';
  return {
    name: tool.name,
    title: `${tool.connectorId}: ${operation.name.replaceAll('_', ' ')}`,
    description: `${operation.description}${notes}`,
    inputSchema: tool.inputSchema,
    annotations: {
      readOnlyHint: !write,
      // Whether a write destroys something is not declared by operations: assume it may.
      destructiveHint: write,
      // A write retried with the same idempotency key is replayed, never repeated.
      idempotentHint: true,
      openWorldHint: false,
    },
  };
}

/**
 * The operation's input schema as JSON Schema, without the field the pipeline fills from the
 * session (`customerKey`), plus the idempotency key of a write. Null when the input is no object.
 */
function argumentsSchemaOf(operation: AnyOperationDefinition): McpTool['inputSchema'] | null {
  if (!schemaCache.has(operation)) schemaCache.set(operation, deriveArgumentsSchema(operation));
  return schemaCache.get(operation) ?? null;
}

/** Derived once per operation object (a new connector version brings new objects). */
const schemaCache = new WeakMap<AnyOperationDefinition, McpTool['inputSchema'] | null>();

function deriveArgumentsSchema(operation: AnyOperationDefinition): McpTool['inputSchema'] | null {
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
  } catch {
    return null;
  }
  if (schema.type !== 'object') return null;
  const { $schema: _dialect, properties: given, required: needed, ...rest } = schema;
  const properties = { ...((given as Record<string, unknown> | undefined) ?? {}) };
  let required = ((needed as string[] | undefined) ?? []).slice();
  const bound = operation.customerKey?.field;
  if (bound) {
    delete properties[bound];
    required = required.filter((field) => field !== bound);
  }
  if (operation.effect === 'write') {
    properties[idempotencyArgument] = {
      type: 'string',
      pattern: '^[A-Za-z0-9._:-]{8,200}$',
      description:
        'Your key for this action: a retry with the same key returns the first result and does not act again.',
    };
    required.push(idempotencyArgument);
  }
  return { ...rest, type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}
