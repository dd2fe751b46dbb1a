import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createFakeMcpServer, createFakeMcpState } from './server.ts';

// The fake order system over stdio: `node --import tsx test/fakes/mcp/stdio-server.ts`.
const server = createFakeMcpServer(createFakeMcpState());
await server.connect(new StdioServerTransport());
