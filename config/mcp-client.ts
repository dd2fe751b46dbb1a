import { z } from 'zod';
import { allowedHostsSetting } from './allowed-hosts.ts';

/** One stdio MCP server the host may start: the command, its arguments, and which variables it gets. */
const stdioServerSchema = z.strictObject({
  command: z.string().min(1, 'give the executable to run'),
  args: z.array(z.string()).default([]),
  /** Names of this process's environment variables passed on to the server (values never stored). */
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'))
    .default([]),
  cwd: z.string().min(1).optional(),
});

const serverNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'use lower-case letters, digits, _ or -');

/** `MCP_STDIO_SERVERS`: a JSON object `{ "name": { command, args, env: ["VAR"], cwd } }`. */
const stdioServersSetting = z
  .string()
  .optional()
  .transform((value, context) => {
    if (!value?.trim()) return {};
    try {
      return JSON.parse(value) as unknown;
    } catch {
      context.addIssue({
        code: 'custom',
        message: 'must be a JSON object: {"name": {"command": "…", "args": []}}',
      });
      return z.NEVER;
    }
  })
  .pipe(z.record(serverNameSchema, stdioServerSchema));

/**
 * Settings of the MCP client connectors (docs/custom-connectors.md, "MCP servers as connectors").
 * A stdio server runs a command on this host, so only this configuration declares them; an admin's
 * connector may only name one.
 */
export const mcpClientSettings = {
  MCP_STDIO_SERVERS: stdioServersSetting,
  MCP_ALLOWED_HOSTS: allowedHostsSetting,
};

export type McpStdioServer = z.infer<typeof stdioServerSchema>;

/** What the MCP connector builder receives: the configured stdio servers (env resolved) and the allow-list. */
export interface McpClientSettings {
  stdioServers: Record<
    string,
    { command: string; args: string[]; env: Record<string, string>; cwd?: string }
  >;
  /** Hosts (names or addresses) a URL server may use even when they resolve to a private address. */
  allowedHosts: string[];
}

/** Resolves the configured servers' variable names against the environment (default: this process's). */
export function mcpClientSettingsFrom(
  config: { MCP_STDIO_SERVERS: Record<string, McpStdioServer>; MCP_ALLOWED_HOSTS: string[] },
  environment: Record<string, string | undefined> = process.env,
): McpClientSettings {
  const stdioServers: McpClientSettings['stdioServers'] = {};
  for (const [name, server] of Object.entries(config.MCP_STDIO_SERVERS)) {
    const env: Record<string, string> = {};
    for (const variable of server.env) {
      const value = environment[variable];
      if (value !== undefined) env[variable] = value;
    }
    stdioServers[name] = {
      command: server.command,
      args: server.args,
      env,
      ...(server.cwd ? { cwd: server.cwd } : {}),
    };
  }
  return { stdioServers, allowedHosts: config.MCP_ALLOWED_HOSTS };
}
