import { z } from 'zod';
import { backendSettings } from './backends.ts';
import { databaseSettings, loadConfig, logSettings, modeSettings, publicUrlSettings } from './load.ts';

/**
 * Settings of the stdio MCP server (`npm run mcp`, docs/mcp.md). It opens the same database as the
 * API (embedded PGlite belongs to one process: stop `npm start` first, or use DATABASE_URL) and acts
 * for the API key it is given, exactly as `POST /mcp` does for a bearer key.
 */
export const mcpConfigSchema = z.object({
  ...databaseSettings,
  ...logSettings,
  ...modeSettings,
  ...publicUrlSettings,
  ...backendSettings,
  LOG_LEVEL: logSettings.LOG_LEVEL.default('warn'),
  /** The key an admin created (`POST /api/admin/api-keys`): whom every tool call acts for. */
  SWITCHBOARD_MCP_API_KEY: z
    .string()
    .regex(/^sbk_[A-Za-z0-9_-]{20,200}$/, 'must be an API key an admin created (sbk_…), see docs/mcp.md'),
  /** Master keys of the credentials vault, the same as the API's (see .env.example). */
  MASTER_KEY: z.string().min(1).optional(),
});

export type McpConfig = z.infer<typeof mcpConfigSchema>;

export const loadMcpConfig = (source?: Record<string, string | undefined>): McpConfig =>
  loadConfig(mcpConfigSchema, source);
