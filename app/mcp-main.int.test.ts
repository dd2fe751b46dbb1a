import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../api/mcp/api-keys.ts';
import { mcpTestWorld } from '../api/mcp/test-world.ts';
import type { Database } from '../db/database.ts';
import { loadWorld } from '../db/world/load-world.ts';
import { createPostgresTestDatabase } from '../test/support/database.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

type ToolText = { content: Array<{ type: string; text: string }>; isError?: boolean };
const textOf = (result: unknown): string => (result as ToolText).content.map((part) => part.text).join('');

/** `npm run mcp` as a client starts it: node with tsx, app/mcp-main.ts, the key in the environment. */
function transportFor(database: Database & { url: string }, key: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', tsxLoader, path.join(root, 'app/mcp-main.ts')],
    cwd: root,
    env: {
      DATABASE_URL: database.url,
      SWITCHBOARD_MODE: 'embedded',
      DATA_DIR: '.data/test-mcp',
      SWITCHBOARD_MCP_API_KEY: key,
      LOG_LEVEL: 'warn',
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { transport, stderr: () => stderr };
}

describe('npm run mcp (app/mcp-main.ts, stdio)', () => {
  let database: Database & { url: string };
  const clients: Client[] = [];

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    await loadWorld(database.pool, mcpTestWorld());
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await database?.close();
  });

  it("serves the connectors to an SDK client, bound to the key's customer", async () => {
    const { key, record } = await createApiKey(database.pool, {
      name: 'stdio',
      subject: { kind: 'customer', contactId: 'ct_mcp_1' },
      createdBy: null,
    });
    const { transport, stderr } = transportFor(database, key);
    const client = new Client({ name: 'switchboard-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(transport);

    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['billing__list_invoices', 'billing__get_invoice']));

    const own = await client.callTool({ name: 'billing__get_invoice', arguments: { invoice_id: 'INV-M1' } });
    expect(own.isError, textOf(own)).toBeFalsy();
    expect(JSON.parse(textOf(own))).toMatchObject({ status: 'ok', data: { id: 'INV-M1' } });

    const other = await client.callTool({
      name: 'billing__get_invoice',
      arguments: { invoice_id: 'INV-O1' },
    });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toMatch(/^forbidden:/);
    const named = await client.callTool({
      name: 'billing__list_invoices',
      arguments: { account_id: 'acc_mcp_2' },
    });
    expect(named.isError).toBe(true);
    expect(textOf(named)).toMatch(/^forbidden:/);

    // Revoked while the server runs: the next call is refused.
    await revokeApiKey(database.pool, record.id);
    const after = await client.callTool({ name: 'billing__list_invoices', arguments: {} });
    expect(after.isError).toBe(true);
    expect(textOf(after)).toMatch(/unknown or revoked/);
    expect(stderr()).not.toMatch(/error/i);
  }, 180_000);

  it('refuses to start for an unknown or revoked key', async () => {
    for (const key of ['sbk_unknownunknownunknownunknownunknown', null]) {
      let presented = key;
      if (!presented) {
        const created = await createApiKey(database.pool, {
          name: 'revoked',
          subject: { kind: 'customer', contactId: 'ct_mcp_1' },
          createdBy: null,
        });
        await revokeApiKey(database.pool, created.record.id);
        presented = created.key;
      }
      const { transport, stderr } = transportFor(database, presented);
      const client = new Client({ name: 'switchboard-test', version: '1.0.0' });
      const exited = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
      });
      await expect(client.connect(transport)).rejects.toThrow();
      await exited;
      expect(stderr()).toMatch(/SWITCHBOARD_MCP_API_KEY is unknown or revoked/);
    }
  }, 180_000);
});
