import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { ConnectorError, isConnectorError } from '../../core/errors.ts';

/** A tool call's answer as the SDK gives it (content blocks, maybe structured content). */
export type McpToolResult = Awaited<ReturnType<Client['callTool']>>;

/**
 * One MCP server as the connector sees it: connected on first use, and connected again on the next
 * call after the server died or dropped the session (a dead server is a `transient` failure, never
 * a crashed process).
 */
export interface McpConnection {
  /** The server's tools (connecting first if needed). */
  listTools(signal?: AbortSignal): Promise<Tool[]>;
  callTool(
    name: string,
    args: Record<string, unknown>,
    options: { signal: AbortSignal; timeoutMs: number; idempotencyKey?: string },
  ): Promise<McpToolResult>;
  /** A round trip to the server (`ping`), for health checks. */
  ping(signal: AbortSignal): Promise<string>;
  /** Tool names the server offers, as of its last list (kept current by `notifications/tools/list_changed`). */
  offered(): ReadonlySet<string> | null;
  /** Closes the client and its transport (a stdio server's process ends with it). */
  close(): Promise<void>;
}

/** The `_meta` key carrying a write's idempotency key to the server (servers that support it dedupe on it). */
export const idempotencyMetaKey = 'io.switchboard/idempotency-key';

export function createMcpConnection(options: {
  connectorId: string;
  /** A new transport for each connection attempt. */
  transport: () => Promise<Transport>;
}): McpConnection {
  let current: Promise<Client> | null = null;
  let closed = false;
  let offered: Set<string> | null = null;

  const connect = (): Promise<Client> => {
    if (closed)
      return Promise.reject(new ConnectorError('transient', `${options.connectorId} is being replaced`));
    if (current) return current;
    const attempt = (async () => {
      const client = new Client(
        { name: 'switchboard', version: '1.0.0' },
        {
          listChanged: {
            tools: {
              onChanged: (error, tools) => {
                if (!error && tools) offered = new Set(tools.map((tool) => tool.name));
              },
            },
          },
        },
      );
      client.onclose = () => {
        if (current === attempt) current = null;
      };
      try {
        await client.connect(await options.transport());
        // Each new connection lists the tools: what the server offers now, and the output-schema
        // validators the SDK keeps per client.
        offered = new Set((await listAll(client)).map((tool) => tool.name));
      } catch (error) {
        await client.close().catch(() => undefined);
        throw error;
      }
      return client;
    })();
    current = attempt;
    attempt.catch(() => {
      if (current === attempt) current = null;
    });
    return attempt;
  };

  /** Drops the connection so the next call connects again. */
  const drop = async (client: Promise<Client>) => {
    if (current === client) current = null;
    await client.then((open) => open.close()).catch(() => undefined);
  };

  async function use<T>(signal: AbortSignal | undefined, work: (client: Client) => Promise<T>): Promise<T> {
    const client = connect();
    try {
      return await work(await client);
    } catch (error) {
      if (signal?.aborted) throw error;
      const failure = toConnectorError(error, options.connectorId);
      if (failure.kind === 'transient') await drop(client);
      throw failure;
    }
  }

  return {
    listTools: (signal) =>
      use(signal, async (client) => {
        const tools = await listAll(client, signal);
        offered = new Set(tools.map((tool) => tool.name));
        return tools;
      }),
    callTool: (name, args, { signal, timeoutMs, idempotencyKey }) =>
      use(signal, (client) =>
        client.callTool(
          {
            name,
            arguments: args,
            ...(idempotencyKey ? { _meta: { [idempotencyMetaKey]: idempotencyKey } } : {}),
          },
          undefined,
          // The pipeline's timeout (the signal) decides; the SDK's own is only a backstop.
          { signal, timeout: timeoutMs + 1_000 },
        ),
      ),
    ping: (signal) =>
      use(signal, async (client) => {
        await client.ping({ signal });
        const server = client.getServerVersion();
        return server ? `${server.name} ${server.version}` : 'an MCP server';
      }),
    offered: () => offered,
    async close() {
      closed = true;
      if (current) await drop(current);
    },
  };
}

/** Every tool of the server, page by page (at most 1,000). */
async function listAll(client: Client, signal?: AbortSignal): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined, signal ? { signal } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor && tools.length < 1_000);
  return tools;
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * How an MCP failure reads to the pipeline: a lost connection, a dropped session or a server error
 * is `transient` (retried, counted by the breaker, and the connection is made again); a protocol
 * refusal (bad arguments, an answer that breaks the tool's output schema) is `permanent`.
 */
export function toConnectorError(error: unknown, connectorId: string): ConnectorError {
  if (isConnectorError(error)) return error;
  if (error instanceof McpError) {
    if (error.code === ErrorCode.ConnectionClosed || error.code === ErrorCode.RequestTimeout)
      return new ConnectorError('transient', `${connectorId}: ${error.message}`, { cause: error });
    return new ConnectorError('permanent', `${connectorId}: ${error.message}`, { cause: error });
  }
  if (error instanceof StreamableHTTPError) {
    const status = error.code ?? 0;
    if (status === 401 || status === 403)
      return new ConnectorError(
        'permanent',
        `${connectorId}: the MCP server refused our credentials (${status})`,
      );
    if (status === 429)
      return new ConnectorError('rate_limited', `${connectorId}: the MCP server answered 429`);
    // 404: the server forgot our session (it restarted): connect again.
    return new ConnectorError(
      'transient',
      `${connectorId}: the MCP server answered ${status || 'an error'}`,
      {
        cause: error,
      },
    );
  }
  const code =
    (error as { code?: string; cause?: { code?: string } } | null)?.cause?.code ??
    (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectorError(
    'transient',
    `${connectorId}: the MCP server is unreachable (${code && connectionCodes.has(code) ? code : message})`,
    { cause: error },
  );
}
