import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { RouteGroup } from '../context.ts';
import { ApiError } from '../errors.ts';
import { authenticateApiKey } from './api-keys.ts';
import { createMcpServer } from './server.ts';

/**
 * `POST /mcp`: the MCP server over streamable HTTP (stateless: one server per request), for an API
 * key sent as `Authorization: Bearer sbk_…` (docs/mcp.md). The per-IP rate limit applies as to
 * every route; each tool call is audited by the pipeline with the key as its actor.
 */
export const mcpRoutes: RouteGroup = async (app, context) => {
  const { gateway } = context.switchboard;

  app.post('/mcp', { schema: { hide: true } }, async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const principal = presented ? await authenticateApiKey(context.database.pool, presented) : null;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="switchboard-mcp"');
      throw new ApiError(
        'unauthorized',
        presented ? 'The API key is unknown or revoked' : 'Send an API key: Authorization: Bearer sbk_…',
      );
    }
    const server = createMcpServer({ gateway, principal: async () => principal });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });

  // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE).
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      schema: { hide: true },
      handler: async (_request, reply) =>
        reply
          .code(405)
          .header('allow', 'POST')
          .send({ error: { code: 'not_available', message: 'Use POST /mcp (stateless streamable HTTP)' } }),
    });
  }
};
