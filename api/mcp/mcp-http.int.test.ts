import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOperation } from '../../connectors/core/definition.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { mcpTestWorld } from './test-world.ts';

type ToolText = { content: Array<{ type: string; text: string }>; isError?: boolean };
const textOf = (result: unknown): string => (result as ToolText).content.map((part) => part.text).join('');
const jsonOf = (result: unknown) => JSON.parse(textOf(result)) as Record<string, unknown>;

describe(`MCP over streamable HTTP at /mcp (${testDatabaseKind()})`, () => {
  let api: TestApi;
  let base: string;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  const clients: Client[] = [];

  async function createKey(subject: Record<string, string>): Promise<{ key: string; id: string }> {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/admin/api-keys',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
      payload: { name: 'test key', subject },
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json() as { key: string; apiKey: { id: string } };
    return { key: body.key, id: body.apiKey.id };
  }

  async function connect(key: string): Promise<Client> {
    const client = new Client({ name: 'switchboard-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    api = await createTestApi({ seed: false });
    await loadWorld(api.database.pool, mcpTestWorld());
    admin = await loginAs(api.app, api.database.pool, 'admin');
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await api?.close();
  });

  it('lists the connector operations for a customer key, without the session-bound customer field', async () => {
    const { key } = await createKey({ kind: 'customer', contactId: 'ct_mcp_1' });
    const client = await connect(key);
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.has('billing__get_invoice')).toBe(true);
    const list = byName.get('billing__list_invoices')!;
    expect(Object.keys(list.inputSchema.properties ?? {})).not.toContain('account_id');
    expect(list.inputSchema.required ?? []).not.toContain('account_id');
    expect(list.annotations).toMatchObject({ readOnlyHint: true });
    const refund = byName.get('billing__refund_payment')!;
    expect(refund.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(refund.inputSchema.required).toContain('idempotency_key');
  });

  it("reads the key's own customer's records and refuses another customer's, as chat does", async () => {
    const { key, id } = await createKey({ kind: 'customer', contactId: 'ct_mcp_1' });
    const client = await connect(key);

    const own = await client.callTool({ name: 'billing__list_invoices', arguments: {} });
    expect(own.isError).toBeFalsy();
    const invoices = (jsonOf(own).data as { invoices: Array<{ id: string }> }).invoices.map((row) => row.id);
    expect(invoices.sort()).toEqual(['INV-M1', 'INV-M2']);

    const otherRecord = await client.callTool({
      name: 'billing__get_invoice',
      arguments: { invoice_id: 'INV-O1' },
    });
    expect(otherRecord.isError).toBe(true);
    expect(textOf(otherRecord)).toMatch(/^forbidden: the record does not belong to the caller's account/);

    // Passing the other customer's id does not make the call theirs: the pipeline refuses it.
    const otherAccount = await client.callTool({
      name: 'billing__list_invoices',
      arguments: { account_id: 'acc_mcp_2' },
    });
    expect(otherAccount.isError).toBe(true);
    expect(textOf(otherAccount)).toMatch(/^forbidden: account_id must be the caller's own account/);

    await api.context.switchboard.gateway.flush();
    const { rows } = await api.database.pool.query(
      `SELECT operation, outcome, detail->>'actor_id' AS actor_id FROM audit_log
        WHERE connector_id = 'billing' AND detail->>'actor_id' = $1 ORDER BY id`,
      [`api_key:${id}`],
    );
    expect(rows.map((row) => row.operation)).toEqual(['list_invoices', 'get_invoice', 'list_invoices']);
  });

  it('returns approval_required above the refund limit and does nothing', async () => {
    const { key } = await createKey({ kind: 'customer', contactId: 'ct_mcp_1' });
    const client = await connect(key);
    const result = await client.callTool({
      name: 'billing__refund_payment',
      arguments: { payment_id: 'pay_mcp_big', amount_cents: 45000, idempotency_key: 'refund-big-0001' },
    });
    expect(result.isError).toBeFalsy();
    expect(jsonOf(result)).toMatchObject({
      status: 'approval_required',
      action: { connector: 'billing', operation: 'refund_payment' },
    });
    const { rows } = await api.database.pool.query(`SELECT 1 FROM refunds WHERE payment_id = 'pay_mcp_big'`);
    expect(rows).toHaveLength(0);
  });

  it('runs a write once for one idempotency key, and refuses a write without one', async () => {
    const { key, id } = await createKey({ kind: 'customer', contactId: 'ct_mcp_1' });
    const client = await connect(key);
    const call = () =>
      client.callTool({
        name: 'billing__refund_payment',
        arguments: { payment_id: 'pay_mcp_small', amount_cents: 2500, idempotency_key: 'refund-small-0001' },
      });
    const first = await call();
    expect(first.isError, textOf(first)).toBeFalsy();
    expect(jsonOf(first)).toMatchObject({ status: 'ok', replayed: false });
    const second = await call();
    expect(jsonOf(second)).toMatchObject({ status: 'ok', replayed: true });

    const refunds = await api.database.pool.query(
      `SELECT amount_cents FROM refunds WHERE payment_id = 'pay_mcp_small'`,
    );
    expect(refunds.rows).toEqual([{ amount_cents: 2500 }]);
    const ledger = await api.database.pool.query(
      `SELECT key, status FROM idempotency_keys WHERE key LIKE $1`,
      [`mcp:${id}:%`],
    );
    expect(ledger.rows).toEqual([
      { key: `mcp:${id}:billing.refund_payment:refund-small-0001`, status: expect.any(String) },
    ]);

    const keyless = await client.callTool({
      name: 'billing__refund_payment',
      arguments: { payment_id: 'pay_mcp_small', amount_cents: 100 },
    });
    expect(keyless.isError).toBe(true);
    expect(textOf(keyless)).toMatch(/^invalid_input: idempotency_key/);
  });

  it('follows the policy allow-list and connectors added at run time on each tools/list', async () => {
    const { key } = await createKey({ kind: 'customer', contactId: 'ct_mcp_1' });
    const client = await connect(key);
    const { gateway } = api.context.switchboard;
    const policy = await gateway.getPolicy('billing');
    await gateway.setPolicy(
      'billing',
      { ...policy, allowedOperations: policy.allowedOperations!.filter((name) => name !== 'refund_payment') },
      null,
    );
    gateway.registerConnector({
      id: 'orders',
      title: 'Orders',
      grantedScopes: [],
      check: async () => ({ ok: true, detail: 'ok' }),
      operations: {
        order_status: defineOperation({
          name: 'order_status',
          description: 'Status of an order of the customer.',
          effect: 'read',
          input: z.strictObject({ order_id: z.string(), contact_id: z.string() }),
          output: z.object({ status: z.string(), contact_id: z.string() }),
          scopes: [],
          timeoutMs: 1_000,
          customerKey: { field: 'contact_id', from: 'contactId' },
          run: async (input) => ({ status: 'shipped', contact_id: input.contact_id }),
        }),
      },
    });
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).not.toContain('billing__refund_payment');
      expect(names).toContain('orders__order_status');
      const refused = await client.callTool({
        name: 'billing__refund_payment',
        arguments: { payment_id: 'pay_mcp_small', amount_cents: 100, idempotency_key: 'refund-small-0002' },
      });
      expect(refused.isError).toBe(true);
      const order = await client.callTool({ name: 'orders__order_status', arguments: { order_id: 'o_1' } });
      expect(jsonOf(order)).toMatchObject({
        status: 'ok',
        data: { status: 'shipped', contact_id: 'ct_mcp_1' },
      });
    } finally {
      gateway.unregisterConnector('orders');
      await gateway.resetPolicy('billing');
    }
  });

  it('gives a staff key only the operations that name no customer record', async () => {
    const { key } = await createKey({ kind: 'staff', humanId: admin.human.id });
    const client = await connect(key);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names).not.toContain('billing__get_invoice');
    expect(names).not.toContain('billing__list_invoices');
  });

  it('refuses an unknown, missing or revoked key with 401', async () => {
    const { key, id } = await createKey({ kind: 'customer', contactId: 'ct_mcp_1' });
    const revoke = await api.app.inject({
      method: 'DELETE',
      url: `/api/admin/api-keys/${id}`,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
    });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toMatchObject({ id, revokedAt: expect.any(String) });
    await expect(connect(key)).rejects.toThrow(/401|unknown or revoked/i);
    await expect(connect('sbk_unknownunknownunknownunknown')).rejects.toThrow(/401|unknown or revoked/i);
    const bare = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ error: { code: 'unauthorized' } });

    const listed = await api.app.inject({
      method: 'GET',
      url: '/api/admin/api-keys',
      headers: { cookie: admin.cookie },
    });
    expect(listed.body).not.toContain(key);
    expect(listed.json().apiKeys.find((row: { id: string }) => row.id === id)).toMatchObject({
      revokedAt: expect.any(String),
    });
  });

  it('refuses to create a key for a contact the directory does not know', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/admin/api-keys',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
      payload: { name: 'x', subject: { kind: 'customer', contactId: 'ct_nobody' } },
    });
    expect(response.statusCode).toBe(400);
  });
});
