import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** What the fake remembers across connections: how often each tool ran, and refunds by idempotency key. */
export interface FakeMcpState {
  calls: Record<string, number>;
  refundsByKey: Record<string, number>;
}

export const createFakeMcpState = (): FakeMcpState => ({ calls: {}, refundsByKey: {} });

const orders: Record<string, Array<{ id: string; status: string; total_cents: number }>> = {
  ct_1: [{ id: 'ord_1', status: 'shipped', total_cents: 4_500 }],
  ct_2: [{ id: 'ord_2', status: 'processing', total_cents: 99_000 }],
};

/**
 * A small order system as an MCP server, written with the SDK: a read with an output schema, a
 * write that counts its executions, a tool that answers `isError`, one that hangs, and a dangerous
 * one the policy keeps out. Tools bind to a `customer_id` argument, the way many servers do.
 */
export function createFakeMcpServer(state: FakeMcpState): McpServer {
  const server = new McpServer({ name: 'fake-orders', version: '1.0.0' });
  const count = (tool: string) => {
    state.calls[tool] = (state.calls[tool] ?? 0) + 1;
  };

  server.registerTool(
    'get_orders',
    {
      description: "Lists a customer's orders.",
      inputSchema: { customer_id: z.string() },
      outputSchema: {
        customer_id: z.string(),
        orders: z.array(z.object({ id: z.string(), status: z.string(), total_cents: z.number().int() })),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ customer_id }) => {
      count('get_orders');
      const structuredContent = { customer_id, orders: orders[customer_id] ?? [] };
      return { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );

  server.registerTool(
    'refund_order',
    {
      description: 'Refunds (part of) an order.',
      inputSchema: {
        customer_id: z.string(),
        order_id: z.string(),
        amount_cents: z.number().int().positive(),
      },
    },
    async ({ order_id, amount_cents }, extra) => {
      count('refund_order');
      const key = String(extra._meta?.['io.switchboard/idempotency-key'] ?? 'none');
      state.refundsByKey[key] = (state.refundsByKey[key] ?? 0) + 1;
      return { content: [{ type: 'text', text: `refunded ${amount_cents} cents on ${order_id}` }] };
    },
  );

  server.registerTool(
    'cancel_order',
    { description: 'Cancels an order.', inputSchema: { order_id: z.string() } },
    async ({ order_id }) => {
      count('cancel_order');
      return { content: [{ type: 'text', text: `order ${order_id} is already delivered` }], isError: true };
    },
  );

  server.registerTool(
    'slow_lookup',
    {
      description: 'Never answers.',
      inputSchema: { customer_id: z.string() },
      annotations: { readOnlyHint: true },
    },
    async (_args, extra) => {
      count('slow_lookup');
      await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve()));
      return { content: [{ type: 'text', text: 'too late' }] };
    },
  );

  server.registerTool(
    'delete_account',
    { description: 'Deletes everything.', inputSchema: { customer_id: z.string() } },
    async () => {
      count('delete_account');
      return { content: [{ type: 'text', text: 'deleted' }] };
    },
  );

  const retirable = server.registerTool(
    'legacy_status',
    { description: 'An old tool the server may retire.', annotations: { readOnlyHint: true } },
    async () => ({ content: [{ type: 'text', text: 'legacy ok' }] }),
  );
  server.registerTool(
    'retire_legacy_status',
    {
      description: 'Removes legacy_status (notifies tools/list_changed).',
      annotations: { readOnlyHint: true },
    },
    async () => {
      retirable.remove();
      return { content: [{ type: 'text', text: 'retired' }] };
    },
  );

  server.registerTool(
    'stats',
    {
      description: 'How often each tool ran, and this process id.',
      outputSchema: {
        calls: z.record(z.string(), z.number()),
        refunds_by_key: z.record(z.string(), z.number()),
        pid: z.number(),
      },
      annotations: { readOnlyHint: true },
    },
    async () => {
      const structuredContent = { calls: state.calls, refunds_by_key: state.refundsByKey, pid: process.pid };
      return { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );
  return server;
}

/** The fake over streamable HTTP (stateless: a server per request), on `port` (0: any free port). */
export async function startFakeMcpHttpServer(
  state: FakeMcpState,
  port = 0,
): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const http: Server = createServer(async (request, response) => {
    const server = createFakeMcpServer(state);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const actual = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/mcp`,
    port: actual,
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
