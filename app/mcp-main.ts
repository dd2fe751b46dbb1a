import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import pino from 'pino';
import { authenticateApiKey } from '../api/mcp/api-keys.ts';
import { createMcpServer } from '../api/mcp/server.ts';
import { toolsFor } from '../api/mcp/tools.ts';
import { resolvedMode } from '../config/api.ts';
import { backendEnvironmentOf } from '../config/backends.ts';
import { paymentLinkBaseUrlOf, runEntryPoint } from '../config/load.ts';
import { loadMcpConfig } from '../config/mcp.ts';
import { parseMasterKeys } from '../connectors/core/master-key.ts';
import { parseCommandLine } from './cli/command-line.ts';
import { openConfiguredDatabase } from './database-from-config.ts';

/** How often the tool list is compared, to tell the client when connectors or policies changed. */
const toolWatchMs = 10_000;

/**
 * `npm run mcp`: Switchboard's connector operations as MCP tools over stdio (docs/mcp.md), acting for
 * the API key in SWITCHBOARD_MCP_API_KEY exactly as `POST /mcp` does for a bearer key. Stdout carries
 * only the protocol: every log line goes to stderr.
 */
parseCommandLine({
  command: 'npm run mcp',
  summary:
    "Serves Switchboard's connector operations as MCP tools over stdio, acting for the API key in\n" +
    'SWITCHBOARD_MCP_API_KEY exactly as POST /mcp does for a bearer key (docs/mcp.md). Stdout carries\n' +
    'only the protocol; logs go to stderr. Run it with --silent, or npm prints its banner on stdout.',
  options: {},
  examples: ['npm run --silent mcp'],
  notes: [
    'Environment: SWITCHBOARD_MCP_API_KEY (required: the API key it acts for), DATABASE_URL or DATA_DIR,',
    'MASTER_KEY, LOG_LEVEL.',
  ],
});

await runEntryPoint(async () => {
  const config = loadMcpConfig();
  const mode = resolvedMode(config);
  const logger = pino({ level: config.LOG_LEVEL, base: { component: 'mcp' } }, pino.destination(2));
  const database = await openConfiguredDatabase(config);
  const principal = () => authenticateApiKey(database.pool, config.SWITCHBOARD_MCP_API_KEY);
  const first = await principal();
  if (!first) {
    await database.close();
    throw new Error('SWITCHBOARD_MCP_API_KEY is unknown or revoked: ask an admin for a key (docs/mcp.md)');
  }
  // Loaded after the key is checked: a refused key fails in a moment, not after loading everything.
  const { createApiRuntime } = await import('./runtime.ts');
  const runtime = await createApiRuntime({
    database,
    dataDir: config.DATA_DIR,
    mode,
    logger,
    backendEnvironment: backendEnvironmentOf(config),
    ...(config.MASTER_KEY ? { masterKeys: parseMasterKeys(config.MASTER_KEY, 'MASTER_KEY') } : {}),
    settings: { faultInjection: false },
    switchboard: {
      paymentLinkBaseUrl: paymentLinkBaseUrlOf(config.PUBLIC_BASE_URL ?? 'http://127.0.0.1:3000'),
    },
  });
  const { gateway } = runtime.context.switchboard;
  const server = createMcpServer({ gateway, principal });

  // Connectors an admin adds and policy changes reach the client as `tools/list_changed`.
  let shown = '';
  const signature = async () => {
    const now = await principal();
    return now ? (await toolsFor(gateway, now)).map((tool) => tool.name).join(',') : '';
  };
  shown = await signature();
  const watch = setInterval(() => {
    void signature()
      .then(async (current) => {
        if (current === shown) return;
        shown = current;
        await server.sendToolListChanged();
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'the tool list could not be compared'));
  }, toolWatchMs);
  watch.unref();

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    logger.info({ reason }, 'MCP server stopping');
    await server.close().catch(() => {});
    await runtime.close();
    await database.close();
    process.exit(0);
  };
  server.onclose = () => void shutdown('client closed');
  process.stdin.once('end', () => void shutdown('stdin closed'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await server.connect(new StdioServerTransport());
  logger.info({ apiKeyId: first.keyId, kind: first.kind }, 'MCP server ready on stdio');
});
