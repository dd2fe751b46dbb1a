import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mcpClientSettings, mcpClientSettingsFrom } from './mcp-client.ts';

const schema = z.object(mcpClientSettings);

describe('mcpClientSettings', () => {
  it('reads stdio servers from JSON and passes on only the named variables', () => {
    const config = schema.parse({
      MCP_STDIO_SERVERS: '{"files": {"command": "npx", "args": ["-y", "files-mcp"], "env": ["FILES_TOKEN"]}}',
      MCP_ALLOWED_HOSTS: ' mcp.internal , 10.0.0.5',
    });
    expect(mcpClientSettingsFrom(config, { FILES_TOKEN: 't0k', SECRET: 'no' })).toEqual({
      stdioServers: { files: { command: 'npx', args: ['-y', 'files-mcp'], env: { FILES_TOKEN: 't0k' } } },
      allowedHosts: ['mcp.internal', '10.0.0.5'],
    });
    expect(mcpClientSettingsFrom(schema.parse({}), {})).toEqual({ stdioServers: {}, allowedHosts: [] });
  });

  it('says what is wrong with a bad declaration', () => {
    expect(schema.safeParse({ MCP_STDIO_SERVERS: '{nope' }).error?.issues[0]?.message).toMatch(
      /must be a JSON object/,
    );
    const missing = schema.safeParse({ MCP_STDIO_SERVERS: '{"files": {"args": []}}' });
    expect(missing.error?.issues[0]?.path).toEqual(['MCP_STDIO_SERVERS', 'files', 'command']);
  });
});
