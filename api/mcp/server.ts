import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ManagedConnectorGateway } from '../../connectors/core/connector-gateway.ts';
import type { CallResult } from '../../connectors/core/result.ts';
import { type ApiKeyPrincipal, sessionOf } from './api-keys.ts';
import { describeTool, idempotencyArgument, idempotencyKeySchema, toolsFor } from './tools.ts';

export interface McpServerOptions {
  gateway: ManagedConnectorGateway;
  /**
   * Who the caller is, asked at every request (the key is looked up again, so a revoked key stops
   * working at once); null: the key is unknown or revoked.
   */
  principal: () => Promise<ApiKeyPrincipal | null>;
  /** Server name and version reported to the client. */
  version?: string;
}

/** The text of a tool result. */
type ToolResult = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

const text = (value: unknown, isError = false): ToolResult => ({
  content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }],
  ...(isError ? { isError: true } : {}),
});

/**
 * An MCP server whose tools are the gateway's connector operations (docs/mcp.md). Every call goes
 * through `gateway.callByName` with the session built from the API key — never from the arguments —
 * so identity binding, policy, idempotency, resilience and audit are the chat's own.
 */
export function createMcpServer(options: McpServerOptions): Server {
  const { gateway } = options;
  const server = new Server(
    { name: 'switchboard', version: options.version ?? '0.1.0' },
    {
      capabilities: { tools: { listChanged: true } },
      instructions:
        'Tools are Switchboard connector operations (<connector>__<operation>). They act for the customer or staff member the API key belongs to. Writes need an idempotency_key; one above a policy limit returns approval_required and is not done.',
    },
  );

  const refused = 'the API key is unknown or revoked';
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const principal = await options.principal();
    if (!principal) throw new Error(refused);
    const tools = await toolsFor(gateway, principal);
    return { tools: tools.map(describeTool) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<ToolResult> => {
    const principal = await options.principal();
    if (!principal) return text(`forbidden: ${refused}`, true);
    const tools = await toolsFor(gateway, principal);
    const tool = tools.find((candidate) => candidate.name === request.params.name);
    if (!tool) return text(`invalid_input: no tool "${request.params.name}" for this key`, true);
    const { [idempotencyArgument]: idempotency, ...input } = request.params.arguments ?? {};
    let idempotencyKey: string | undefined;
    if (tool.operation.effect === 'write') {
      const parsed = idempotencyKeySchema.safeParse(idempotency);
      if (!parsed.success) {
        return text(
          `invalid_input: ${idempotencyArgument} ${parsed.error.issues[0]?.message ?? 'is required'}`,
          true,
        );
      }
      // Scoped to the key and the operation: another key's (or operation's) same value is another action.
      idempotencyKey = `mcp:${principal.keyId}:${tool.connectorId}.${tool.operation.name}:${parsed.data}`;
    } else if (idempotency !== undefined) {
      return text(`invalid_input: ${idempotencyArgument} is for writes only`, true);
    }
    const result = await gateway.callByName(
      sessionOf(principal),
      tool.connectorId,
      tool.operation.name,
      input,
      idempotencyKey ? { idempotencyKey } : {},
    );
    return resultOf(result);
  });
  return server;
}

/** The pipeline's answer as a tool result: its own status, and `isError` with its message on failure. */
function resultOf(result: CallResult<unknown>): ToolResult {
  switch (result.status) {
    case 'ok':
      return text(
        result.stale
          ? { status: 'ok', stale: true, age_seconds: result.ageSeconds, data: result.data }
          : { status: 'ok', replayed: result.replayed, data: result.data },
      );
    case 'approval_required':
      // Not done, and not an error: a person must approve this exact action first.
      return text({
        status: 'approval_required',
        reason: result.pendingAction.reason,
        action: {
          connector: result.pendingAction.connector,
          operation: result.pendingAction.operation,
          input: result.pendingAction.input,
        },
        message: 'Not done: this action needs a human approval (see docs/mcp.md, "Writes").',
      });
    case 'human_required':
      return text({
        status: 'human_required',
        rule: result.rule,
        message: 'Not done: the policy hands this request to a person.',
      });
    case 'error':
      return text(`${result.error.kind}: ${result.error.message}`, true);
  }
}
