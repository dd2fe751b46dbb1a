import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { hashArgs } from '../../core/canonical.ts';
import type { AnyOperationDefinition } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { CustomConnectorError } from '../builder.ts';
import type { McpConnection, McpToolResult } from './connection.ts';
import type { McpToolSpec } from './spec.ts';

/** The operation name of a tool: lower case, `_` for anything a policy or metric label cannot carry. */
export const operationNameOf = (toolName: string): string =>
  toolName
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '') || 'tool';

/** Output of a tool without an output schema: its text content. */
const textOutput = z.strictObject({ text: z.string() });

/** Builds the operation the pipeline runs for one declared tool of the server. */
export function toolOperation(
  connectorId: string,
  tool: Tool,
  spec: McpToolSpec,
  connection: McpConnection,
): AnyOperationDefinition {
  const where = `spec.tools.${tool.name}`;
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
  const input = schemaOf(tool.inputSchema, `${where}: its input schema`);
  const output = tool.outputSchema ? schemaOf(tool.outputSchema, `${where}: its output schema`) : textOutput;
  if (spec.customer && !(spec.customer.argument in properties))
    throw new CustomConnectorError(
      `${where}.customer.argument: the tool has no argument "${spec.customer.argument}" (it has: ${Object.keys(properties).join(', ') || 'none'})`,
    );
  const effect = spec.effect ?? (tool.annotations?.readOnlyHint === true ? 'read' : 'write');
  const template = spec.idempotencyKey;
  for (const [, name] of template?.matchAll(/\{([A-Za-z0-9_]+)\}/g) ?? [])
    if (!(name! in properties))
      throw new CustomConnectorError(`${where}.idempotencyKey: the tool has no argument "${name}"`);

  return {
    name: operationNameOf(tool.name),
    description: (tool.description ?? tool.title ?? tool.name).slice(0, 1_000),
    effect,
    input,
    output,
    scopes: [],
    timeoutMs: spec.timeoutMs,
    ...(spec.customer ? { customerKey: { field: spec.customer.argument, from: spec.customer.from } } : {}),
    ...(spec.needsApproval ? { mayNeedApproval: true, alwaysNeedsApproval: true } : {}),
    ...(effect === 'write'
      ? {
          idempotencyKey: (args: Record<string, unknown>) =>
            template
              ? template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => keyPart(args[name]))
              : `args:${hashArgs(args)}`,
        }
      : {}),
    async run(args: Record<string, unknown>, context) {
      const offered = connection.offered();
      if (offered && !offered.has(tool.name))
        throw new ConnectorError(
          'permanent',
          `${connectorId}: the server no longer offers the tool "${tool.name}"; save the connector again to rebuild it`,
        );
      const result = await connection.callTool(tool.name, args, {
        signal: context.signal,
        timeoutMs: spec.timeoutMs,
        ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
      });
      return resultOf(connectorId, tool, result);
    },
  };
}

/** A tool's answer as the operation's output; an error answer is never a success. */
function resultOf(connectorId: string, tool: Tool, result: McpToolResult): unknown {
  const text = textOf(result);
  if (result.isError)
    throw new ConnectorError(
      'permanent',
      `${connectorId}.${tool.name} failed: ${text.slice(0, 500) || 'no message'}`,
    );
  if (tool.outputSchema) {
    if (result.structuredContent === undefined)
      throw new ConnectorError('permanent', `${connectorId}.${tool.name} returned no structured content`);
    return result.structuredContent;
  }
  return { text };
}

const textOf = (result: McpToolResult): string =>
  (Array.isArray(result.content) ? result.content : [])
    .filter((block): block is { type: 'text'; text: string } => block?.type === 'text')
    .map((block) => block.text)
    .join('\n');

/** Zod schema of a tool's JSON Schema, or a declaration error naming the tool. */
function schemaOf(jsonSchema: unknown, where: string): z.ZodType {
  try {
    return z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new CustomConnectorError(`${where} cannot be used: ${(error as Error).message}`);
  }
}

const keyPart = (value: unknown): string =>
  value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
