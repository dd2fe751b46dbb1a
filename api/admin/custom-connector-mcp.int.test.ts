import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../connectors/core/testing/fixtures.ts';
import {
  createFakeMcpState,
  type FakeMcpState,
  startFakeMcpHttpServer,
} from '../../test/fakes/mcp/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';

let api: TestApi;
let admin: Awaited<ReturnType<typeof loginAs>>;
let state: FakeMcpState;
let server: Awaited<ReturnType<typeof startFakeMcpHttpServer>>;

const asAdmin = (options: InjectOptions) =>
  api.app.inject({
    ...options,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
  });

const put = (id: string, spec: unknown) =>
  asAdmin({
    method: 'PUT',
    url: `/api/admin/custom-connectors/${id}`,
    payload: { kind: 'mcp', title: 'Orders', spec },
  });

beforeAll(async () => {
  state = createFakeMcpState();
  server = await startFakeMcpHttpServer(state);
  api = await createTestApi({ seed: false, mcpClient: { stdioServers: {}, allowedHosts: ['127.0.0.1'] } });
  admin = await loginAs(api.app, api.database.pool, 'admin');
}, 120_000);
afterAll(async () => {
  await api?.close();
  await server?.stop();
});

describe('MCP connectors through the admin API', () => {
  it("adds a URL server whose tools the pipeline then runs, bound to the session's customer", async () => {
    const response = await put('orders_mcp', {
      transport: { url: server.url },
      tools: { get_orders: { customer: { argument: 'customer_id', from: 'contactId' } }, stats: {} },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      state: 'running',
      problem: null,
      operations: expect.arrayContaining([
        expect.objectContaining({ name: 'get_orders', effect: 'read' }),
        expect.objectContaining({ name: 'stats', effect: 'read' }),
      ]),
    });
    const gateway = api.context.switchboard.gateway;
    expect(await gateway.callByName(sessions.maya, 'orders_mcp', 'get_orders', {})).toMatchObject({
      status: 'ok',
      data: { customer_id: 'ct_1' },
    });
    expect(
      await gateway.callByName(sessions.maya, 'orders_mcp', 'get_orders', { customer_id: 'ct_2' }),
    ).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    expect(state.calls.get_orders).toBe(1);
  });

  it('refuses a command in the body with a 400 and stores nothing', async () => {
    for (const transport of [{ command: 'bash', args: ['-c', 'id'] }, { stdio: { command: 'bash' } }]) {
      const response = await put('orders_cmd', { transport, tools: { stats: {} } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toMatch(
        /commands can only be declared in the server configuration/,
      );
    }
    const list = await asAdmin({ method: 'GET', url: '/api/admin/custom-connectors' });
    expect(list.json().connectors.map((connector: { id: string }) => connector.id)).not.toContain(
      'orders_cmd',
    );
  });

  it('refuses to save a link-local or private address, or a stdio server the configuration lacks', async () => {
    const response = await put('orders_metadata', {
      transport: { url: 'http://169.254.169.254/latest/mcp' },
      tools: { stats: {} },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(
      /^spec\.transport\.url: 169\.254\.169\.254 resolves to .*private, loopback or link-local address.*MCP_ALLOWED_HOSTS/,
    );
    const unknownStdio = await put('orders_stdio', { transport: { stdio: 'nowhere' }, tools: { stats: {} } });
    expect(unknownStdio.statusCode).toBe(400);
    expect(unknownStdio.json().error.message).toMatch(
      /spec\.transport\.stdio: .*no stdio MCP server "nowhere"/,
    );
    const list = await asAdmin({ method: 'GET', url: '/api/admin/custom-connectors' });
    const ids = list.json().connectors.map((connector: { id: string }) => connector.id);
    expect(ids).not.toContain('orders_metadata');
    expect(ids).not.toContain('orders_stdio');
  });
});
