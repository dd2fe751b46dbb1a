import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorld } from '../../db/world/load-world.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { createServer } from '../server.ts';

describe(`ops routes on ${testDatabaseKind()}`, () => {
  let api: TestApi;
  let admin: { cookie: string };
  let agent: { cookie: string };
  const metricsToken = 'scrape-token-0123456789abcdef';
  beforeAll(async () => {
    api = await createTestApi({ seed: false, settings: { metricsToken } });
    admin = await loginAs(api.app, api.database.pool, 'admin');
    agent = await loginAs(api.app, api.database.pool, 'agent');
  }, 60_000);
  afterAll(async () => api?.close());

  it('answers /healthz and /readyz when the database is migrated and the queue answers', async () => {
    expect((await api.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await api.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', jobs: 'ok' },
    });
  });

  it('counts rows per system', async () => {
    await loadWorld(api.database.pool, {
      accounts: [{ id: 'a1', name: 'A', tier: 'pro', region: 'EU' }],
      contacts: [{ id: 'c1', account: 'a1', name: 'C', email: 'c@a.io' }],
    });
    const summary = (
      await api.app.inject({ url: '/api/world/summary', headers: { cookie: admin.cookie } })
    ).json();
    expect(summary.database).toBe(api.database.kind);
    expect(summary.systems.crm).toEqual({ accounts: 1, contacts: 1, interactions: 0 });
    expect(summary.systems.billing.invoices).toBe(0);
  });

  it('is not ready when a migration is missing', async () => {
    await api.database.pool.query(`DELETE FROM kysely_migration WHERE name = '0004-integration-layer'`);
    const ready = await api.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.migrations).toMatch(/pending migrations/);
    await api.database.pool.query(
      `INSERT INTO kysely_migration (name, timestamp) VALUES ('0004-integration-layer', now()::text)`,
    );
  });

  it('serves Prometheus metrics, including the connector metrics', async () => {
    const metrics = await api.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('switchboard_connector_circuit_state');
  });

  it('serves metrics to the scraper token or an admin only, and business counts to admins only', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { cookie: agent.cookie },
    ]) {
      const metrics = await api.app.inject({ url: '/metrics', headers });
      expect(metrics.statusCode, JSON.stringify(headers)).toBeGreaterThanOrEqual(401);
      expect(metrics.statusCode).toBeLessThanOrEqual(403);
      expect(metrics.body).not.toContain('switchboard_connector');
    }
    const asAdmin = await api.app.inject({ url: '/metrics', headers: { cookie: admin.cookie } });
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.body).toContain('switchboard_connector_circuit_state');
    for (const headers of [{}, { cookie: agent.cookie }]) {
      const summary = await api.app.inject({ url: '/api/world/summary', headers });
      expect([401, 403]).toContain(summary.statusCode);
      expect(summary.body).not.toContain('systems');
    }
  });

  it('logs probes and scrapes only when something is wrong, other requests at info', async () => {
    const lines: string[] = [];
    const logged = await createServer(api.context, {
      logLevel: 'info',
      logStream: { write: (line: string) => void lines.push(line) },
    });
    try {
      await logged.inject({ url: '/healthz' });
      await logged.inject({ url: '/readyz' });
      await logged.inject({ url: '/metrics', headers: { authorization: `Bearer ${metricsToken}` } });
      expect(lines.filter((line) => /healthz|readyz|metrics/.test(line))).toEqual([]);
      await logged.inject({ url: '/api/help-center/articles' });
      expect(lines.some((line) => line.includes('/api/help-center/articles'))).toBe(true);
    } finally {
      await logged.close();
    }
  });

  it('serves the OpenAPI document with every route group, and Swagger UI at /docs', async () => {
    const spec = (await api.app.inject({ url: '/docs/json' })).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/conversations',
        '/api/conversations/{id}/messages',
        '/api/console/login',
        '/api/admin/connectors',
      ]),
    );
    const ui = await api.app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('answers unknown routes with JSON not_found, and sets security headers', async () => {
    const response = await api.app.inject({ url: '/api/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    // Plain-HTTP deployments (cookies not Secure) must not be told to upgrade asset requests.
    expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('never contain a conversation token passed in the query, nor the authorization header', async () => {
    const lines: string[] = [];
    const { createServer } = await import('../server.ts');
    const logged = await createServer(api.context, {
      logLevel: 'info',
      logStream: { write: (line) => lines.push(line) },
    });
    await logged.inject({
      url: '/api/conversations/conv_00000000000000000000000000000000/events?access_token=secret-token-123&after=4',
      headers: { authorization: 'Bearer another-secret-456' },
    });
    await logged.close();
    const output = lines.join('');
    expect(output).toContain('access_token=***&after=4');
    expect(output).not.toContain('secret-token-123');
    expect(output).not.toContain('another-secret-456');
  });
});
