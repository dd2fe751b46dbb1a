import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpClientSettings } from '../../../config/mcp-client.ts';
import type { Database } from '../../../db/database.ts';
import {
  createFakeMcpState,
  type FakeMcpState,
  startFakeMcpHttpServer,
} from '../../../test/fakes/mcp/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../../core/connector-gateway.ts';
import { fastResilience, sessions } from '../../core/testing/fixtures.ts';
import { createVault } from '../../core/vault.ts';
import { saveCustomConnector } from '../store.ts';
import { type CustomConnectorSync, createCustomConnectorSync } from '../sync.ts';
import { mcpConnectorBuilder } from './builder.ts';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const stdioScript = path.resolve(import.meta.dirname, '../../../test/fakes/mcp/stdio-server.ts');
const settings: McpClientSettings = {
  stdioServers: { orders: { command: process.execPath, args: ['--import', 'tsx', stdioScript], env: {} } },
  allowedHosts: ['127.0.0.1'],
};

/** The declaration an admin would save for the fake order system. */
const orderTools = {
  get_orders: { customer: { argument: 'customer_id', from: 'contactId' } },
  refund_order: {
    customer: { argument: 'customer_id', from: 'contactId' },
    idempotencyKey: 'refund:{order_id}:{amount_cents}',
  },
  cancel_order: {},
  slow_lookup: { customer: { argument: 'customer_id', from: 'contactId' }, timeoutMs: 300 },
  delete_account: { customer: { argument: 'customer_id', from: 'contactId' } },
  legacy_status: {},
  retire_legacy_status: {},
  stats: {},
};

function harness(mcp: McpClientSettings = settings) {
  const gateway = createConnectorGateway({
    db: database.pool,
    connectors: [],
    resilience: { ...fastResilience, breaker: { kind: 'consecutive' as const, failures: 5 } },
  });
  const sync = createCustomConnectorSync({
    db: database.pool,
    gateway,
    builders: [mcpConnectorBuilder],
    deps: {
      vault: createVault({
        db: database.pool,
        masterKeys: { currentKeyId: 'k', keys: { k: Buffer.alloc(32, 3) } },
      }),
      mcp,
    },
  });
  const save = async (id: string, spec: unknown) => {
    await saveCustomConnector(
      database.pool,
      [mcpConnectorBuilder],
      { id, kind: 'mcp', title: id, spec },
      'admin@test',
    );
    return (await sync.reload()).find((state) => state.id === id)!;
  };
  return { gateway, sync, save };
}

const stats = async (gateway: ManagedConnectorGateway, id: string) => {
  const result = await gateway.callByName(sessions.system, id, 'stats', {});
  if (result.status !== 'ok') throw new Error(`stats failed: ${JSON.stringify(result)}`);
  return result.data as {
    calls: Record<string, number>;
    refunds_by_key: Record<string, number>;
    pid: number;
  };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`MCP server over streamable HTTP as a connector (${testDatabaseKind()})`, () => {
  let state: FakeMcpState;
  let server: Awaited<ReturnType<typeof startFakeMcpHttpServer>>;
  let sync: CustomConnectorSync;
  let gateway: ManagedConnectorGateway;

  beforeAll(async () => {
    state = createFakeMcpState();
    server = await startFakeMcpHttpServer(state);
    const built = harness();
    ({ sync, gateway } = built);
    expect(
      await built.save('orders_http', { transport: { url: server.url }, tools: orderTools }),
    ).toMatchObject({
      error: null,
    });
    await gateway.setPolicy(
      'orders_http',
      {
        allowedOperations: Object.keys(orderTools).filter((name) => name !== 'delete_account'),
        actionLimits: [{ operation: 'refund_order', field: 'amount_cents', max: 10_000 }],
      },
      'admin@test',
    );
  });
  afterAll(async () => {
    await sync?.close();
    await gateway?.close();
    await server?.stop();
  });

  it("offers the declared tools as operations, with the effect from the tool's annotations", () => {
    const described = gateway.describe().find((connector) => connector.id === 'orders_http')!;
    const operations = Object.fromEntries(
      described.operations.map((operation) => [operation.name, operation.effect]),
    );
    expect(operations).toMatchObject({
      get_orders: 'read',
      refund_order: 'write',
      cancel_order: 'write',
      stats: 'read',
    });
  });

  it('binds the customer argument from the session, and refuses another customer id from the model', async () => {
    const own = await gateway.callByName(sessions.maya, 'orders_http', 'get_orders', {});
    expect(own).toMatchObject({ status: 'ok', data: { customer_id: 'ct_1', orders: [{ id: 'ord_1' }] } });
    const before = state.calls.get_orders ?? 0;
    const other = await gateway.callByName(sessions.maya, 'orders_http', 'get_orders', {
      customer_id: 'ct_2',
    });
    expect(other).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    expect(state.calls.get_orders).toBe(before);
  });

  it('refuses a tool the connector policy does not allow, without calling the server', async () => {
    const result = await gateway.callByName(sessions.maya, 'orders_http', 'delete_account', {});
    expect(result).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    expect(state.calls.delete_account).toBeUndefined();
  });

  it('runs a retried write once on the server, under its idempotency key', async () => {
    const refund = () =>
      gateway.callByName(sessions.maya, 'orders_http', 'refund_order', {
        order_id: 'ord_1',
        amount_cents: 2_500,
      });
    const first = await refund();
    const again = await refund();
    expect(first).toMatchObject({ status: 'ok', data: { text: 'refunded 2500 cents on ord_1' } });
    expect(again).toMatchObject({
      status: 'ok',
      replayed: true,
      data: first.status === 'ok' ? first.data : null,
    });
    expect(state.calls.refund_order).toBe(1);
    expect(state.refundsByKey).toEqual({ 'conv_1:orders_http.refund_order:refund:ord_1:2500': 1 });
  });

  it('asks for approval above the policy limit, without calling the server', async () => {
    const result = await gateway.callByName(sessions.maya, 'orders_http', 'refund_order', {
      order_id: 'ord_1',
      amount_cents: 50_000,
    });
    expect(result).toMatchObject({
      status: 'approval_required',
      pendingAction: { input: { customer_id: 'ct_1', amount_cents: 50_000 } },
    });
    expect(state.calls.refund_order).toBe(1);
  });

  it('asks for approval of every call of a tool declared needsApproval, below any limit, and runs it once approved', async () => {
    const strict = harness();
    expect(
      await strict.save('orders_strict', {
        transport: { url: server.url },
        tools: { refund_order: { ...orderTools.refund_order, needsApproval: true } },
      }),
    ).toMatchObject({ error: null });
    const before = state.calls.refund_order ?? 0;
    const input = { order_id: 'ord_2', amount_cents: 100 };
    const asked = await strict.gateway.callByName(sessions.maya, 'orders_strict', 'refund_order', input);
    expect(asked).toMatchObject({
      status: 'approval_required',
      pendingAction: { reason: "refund_order always needs a person's approval" },
    });
    expect(state.calls.refund_order ?? 0).toBe(before);
    if (asked.status !== 'approval_required') throw new Error('unreachable');
    const approved = await strict.gateway.callByName(sessions.maya, 'orders_strict', 'refund_order', input, {
      approval: { approvedBy: 'hum_1' },
      idempotencyKey: asked.pendingAction.idempotencyKey,
    });
    expect(approved).toMatchObject({ status: 'ok', data: { text: 'refunded 100 cents on ord_2' } });
    expect(state.calls.refund_order).toBe(before + 1);
    await strict.sync.close();
    await strict.gateway.close();
  });

  it('turns an isError answer into a permanent error, never a success', async () => {
    const result = await gateway.callByName(sessions.maya, 'orders_http', 'cancel_order', {
      order_id: 'ord_1',
    });
    expect(result).toMatchObject({ status: 'error', error: { kind: 'permanent', retryable: false } });
    expect(result.status === 'error' && result.error.message).toContain('already delivered');
    expect(state.calls.cancel_order).toBe(1);
  });

  it('times out a tool that hangs', async () => {
    const started = performance.now();
    const result = await gateway.callByName(sessions.maya, 'orders_http', 'slow_lookup', {});
    expect(result).toMatchObject({ status: 'error', error: { kind: 'transient' } });
    expect(result.status === 'error' && result.error.message).toMatch(/timed out after 300 ms/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('fails transiently while the server is down, opens the breaker, and works again once it is back', async () => {
    await server.stop();
    const down = await gateway.callByName(sessions.maya, 'orders_http', 'get_orders', {});
    expect(down).toMatchObject({ status: 'error', error: { kind: 'transient', retryable: true } });
    const failingFast = await gateway.callByName(sessions.maya, 'orders_http', 'get_orders', {});
    expect(failingFast).toMatchObject({ status: 'error', error: { kind: 'transient' } });
    expect(gateway.circuitState('orders_http')).toBe('open');

    server = await startFakeMcpHttpServer(state, server.port);
    await sleep(fastResilience.halfOpenAfterMs + 50);
    const back = await gateway.callByName(sessions.maya, 'orders_http', 'get_orders', {});
    expect(back).toMatchObject({ status: 'ok', data: { customer_id: 'ct_1' } });
  });

  it('checks the server with a ping', async () => {
    expect(await gateway.checkConnector('orders_http')).toMatchObject({ ok: true });
  });
});

describe(`MCP server over stdio as a connector (${testDatabaseKind()})`, () => {
  it('calls tools of a configured command, survives its death, follows tools/list_changed and ends it on close', async () => {
    const { gateway, sync, save } = harness();
    try {
      expect(await save('orders_stdio', { transport: { stdio: 'orders' }, tools: orderTools })).toMatchObject(
        {
          error: null,
        },
      );
      expect(await gateway.callByName(sessions.omar, 'orders_stdio', 'get_orders', {})).toMatchObject({
        status: 'ok',
        data: { customer_id: 'ct_2', orders: [{ id: 'ord_2' }] },
      });
      const refund = { order_id: 'ord_2', amount_cents: 900 };
      await gateway.callByName(sessions.omar, 'orders_stdio', 'refund_order', refund);
      await gateway.callByName(sessions.omar, 'orders_stdio', 'refund_order', refund);
      const first = await stats(gateway, 'orders_stdio');
      expect(first.calls.refund_order).toBe(1);

      // The server process dies: the next call starts it again (a new process, a fresh count).
      process.kill(first.pid, 'SIGKILL');
      await sleep(100);
      const after = await gateway.callByName(sessions.omar, 'orders_stdio', 'get_orders', {});
      expect(after).toMatchObject({ status: 'ok' });
      const second = await stats(gateway, 'orders_stdio');
      expect(second.pid).not.toBe(first.pid);

      // The server retires a tool and says so: the connector stops offering it.
      expect(await gateway.callByName(sessions.system, 'orders_stdio', 'legacy_status', {})).toMatchObject({
        status: 'ok',
        data: { text: 'legacy ok' },
      });
      await gateway.callByName(sessions.system, 'orders_stdio', 'retire_legacy_status', {});
      let retired = await gateway.callByName(sessions.system, 'orders_stdio', 'legacy_status', {});
      // The notification arrives on its own, shortly after the tool call that retired the tool.
      const noticed = () => retired.status === 'error' && retired.error.message.includes('no longer offers');
      for (let tries = 0; !noticed() && tries < 40; tries++) {
        await sleep(50);
        retired = await gateway.callByName(sessions.system, 'orders_stdio', 'legacy_status', {});
      }
      expect(retired).toMatchObject({ status: 'error', error: { kind: 'permanent' } });
      expect(retired.status === 'error' && retired.error.message).toContain('no longer offers');

      await sync.close();
      const alive = () => {
        try {
          process.kill(second.pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let tries = 0; alive() && tries < 60; tries++) await sleep(50);
      expect(alive()).toBe(false);
    } finally {
      await sync.close();
      await gateway.close();
    }
  }, 60_000);

  it('builds nothing for a stdio server the configuration does not declare', async () => {
    const { gateway, sync, save } = harness();
    try {
      const state = await save('orders_unknown', {
        transport: { stdio: 'not_configured' },
        tools: { stats: {} },
      });
      expect(state.error).toMatch(/declares no stdio MCP server "not_configured".*MCP_STDIO_SERVERS/);
      expect(gateway.describe().find((connector) => connector.id === 'orders_unknown')?.operations).toEqual(
        [],
      );
    } finally {
      await sync.close();
      await gateway.close();
    }
  });
});

describe('declarations an admin cannot make', () => {
  it('refuses a command in the declaration: stdio servers are named, never defined, here', async () => {
    for (const transport of [{ command: 'rm', args: ['-rf', '/'] }, { stdio: { command: 'rm' } }]) {
      await expect(
        saveCustomConnector(
          database.pool,
          [mcpConnectorBuilder],
          { id: 'evil', kind: 'mcp', title: 'Evil', spec: { transport, tools: { stats: {} } } },
          'admin@test',
        ),
      ).rejects.toThrow(/commands can only be declared in the server configuration/);
    }
  });

  it('does not connect to a private, loopback or link-local address the allow-list does not name', async () => {
    const state = createFakeMcpState();
    const server = await startFakeMcpHttpServer(state);
    const { gateway, sync, save } = harness({ stdioServers: {}, allowedHosts: [] });
    try {
      for (const url of [
        server.url,
        'http://169.254.169.254/mcp',
        'http://10.1.2.3/mcp',
        'http://[::1]:9/mcp',
      ]) {
        const built = await save('orders_private', { transport: { url }, tools: { stats: {} } });
        expect(built.error).toMatch(/private, loopback or link-local address/);
      }
      const byName = await save('orders_private', {
        transport: { url: server.url.replace('127.0.0.1', 'localhost') },
        tools: { stats: {} },
      });
      expect(byName.error).toMatch(/localhost resolves to .*(127\.0\.0\.1|::1)/);
      expect(state.calls).toEqual({});
    } finally {
      await sync.close();
      await gateway.close();
      await server.stop();
    }
  });
});
