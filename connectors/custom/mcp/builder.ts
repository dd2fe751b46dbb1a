import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpClientSettings } from '../../../config/mcp-client.ts';
import type { AnyOperationDefinition } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import type { CredentialVault } from '../../core/vault.ts';
import { type CustomConnectorBuilder, CustomConnectorError } from '../builder.ts';
import { mcpAddressGuard } from './address-guard.ts';
import { createMcpConnection } from './connection.ts';
import { toolOperation } from './operations.ts';
import { type McpConnectorSpec, mcpConnectorSpecSchema } from './spec.ts';

const noSettings: McpClientSettings = { stdioServers: {}, allowedHosts: [] };

/**
 * The `mcp` kind: an external MCP server whose declared tools become the connector's operations,
 * each run through the pipeline like any other (docs/custom-connectors.md, "MCP servers as connectors").
 */
export const mcpConnectorBuilder: CustomConnectorBuilder<McpConnectorSpec> = {
  kind: 'mcp',
  spec: mcpConnectorSpecSchema,
  async preflight(spec, deps) {
    const settings = deps.mcp ?? noSettings;
    if ('stdio' in spec.transport) {
      if (!settings.stdioServers[spec.transport.stdio])
        throw new CustomConnectorError(
          `spec.transport.stdio: the server configuration declares no stdio MCP server "${spec.transport.stdio}" (MCP_STDIO_SERVERS)`,
        );
      return;
    }
    try {
      await mcpAddressGuard(settings.allowedHosts).assertPublicUrl(new URL(spec.transport.url));
    } catch (error) {
      if (error instanceof ConnectorError && error.kind === 'forbidden')
        throw new CustomConnectorError(`spec.transport.url: ${error.message}`);
      // A name that does not resolve now may later: the built connector reports it.
    }
  },
  async build(record, deps) {
    const settings = deps.mcp ?? noSettings;
    const transport = await transportFactory(record.id, record.spec.transport, settings, deps.vault);
    const connection = createMcpConnection({ connectorId: record.id, transport });
    try {
      const tools = await connection.listTools(AbortSignal.timeout(15_000));
      const operations: Record<string, AnyOperationDefinition> = {};
      for (const [toolName, toolSpec] of Object.entries(record.spec.tools)) {
        if (!toolSpec.include) continue;
        const tool = tools.find((candidate) => candidate.name === toolName);
        if (!tool)
          throw new CustomConnectorError(
            `spec.tools.${toolName}: the server offers no such tool (it offers: ${tools.map((t) => t.name).join(', ') || 'none'})`,
          );
        const operation = toolOperation(record.id, tool, toolSpec, connection);
        if (operations[operation.name])
          throw new CustomConnectorError(
            `spec.tools.${toolName}: two tools become the operation "${operation.name}"`,
          );
        operations[operation.name] = operation;
      }
      return {
        definition: {
          id: record.id,
          title: record.title,
          grantedScopes: [],
          operations,
          async check(signal) {
            try {
              const server = await connection.ping(signal);
              return {
                ok: true,
                detail: `${server} answers; ${Object.keys(operations).length} tools in use`,
              };
            } catch (error) {
              return { ok: false, detail: (error as Error).message };
            }
          },
        },
        close: () => connection.close(),
      };
    } catch (error) {
      await connection.close();
      throw error;
    }
  },
};

/** How each connection attempt reaches the server; URL hosts are checked before every request. */
async function transportFactory(
  connectorId: string,
  spec: McpConnectorSpec['transport'],
  settings: McpClientSettings,
  vault: CredentialVault,
): Promise<() => Promise<Transport>> {
  if ('stdio' in spec) {
    const server = settings.stdioServers[spec.stdio];
    if (!server)
      throw new CustomConnectorError(
        `spec.transport.stdio: the server configuration declares no stdio MCP server "${spec.stdio}" (MCP_STDIO_SERVERS)`,
      );
    return async () =>
      new StdioClientTransport({
        command: server.command,
        args: server.args,
        env: { ...getDefaultEnvironment(), ...server.env },
        ...(server.cwd ? { cwd: server.cwd } : {}),
      });
  }
  const url = new URL(spec.url);
  const guard = mcpAddressGuard(settings.allowedHosts);
  await guard.assertPublicUrl(url);
  return async () => {
    // A bearer token stored for this connector in the vault travels with every request.
    const token = await vault.get(connectorId, 'bearer_token');
    return new StreamableHTTPClientTransport(url, {
      fetch: guard.fetch,
      ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 1_000,
        maxReconnectionDelay: 5_000,
        reconnectionDelayGrowFactor: 1.5,
      },
    });
  };
}
