import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { loadWorld } from '../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import { createServer } from './server.ts';

describe(`API skeleton on ${testDatabaseKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createServer({ database, logLevel: 'silent' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('answers /healthz and /readyz when the database is migrated', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
  });

  it('counts rows per system', async () => {
    await loadWorld(database.pool, {
      accounts: [{ id: 'a1', name: 'A', tier: 'pro', region: 'EU' }],
      contacts: [{ id: 'c1', account: 'a1', name: 'C', email: 'c@a.io' }],
    });
    const summary = (await app.inject({ url: '/api/world/summary' })).json();
    expect(summary.database).toBe(database.kind);
    expect(summary.systems.crm).toEqual({ accounts: 1, contacts: 1, interactions: 0 });
    expect(summary.systems.billing.invoices).toBe(0);
  });

  it('is not ready when a migration is missing', async () => {
    await database.pool.query(`DELETE FROM kysely_migration WHERE name = '0004-integration-layer'`);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.migrations).toMatch(/pending migrations/);
    await database.pool.query(
      `INSERT INTO kysely_migration (name, timestamp) VALUES ('0004-integration-layer', now()::text)`,
    );
  });
});
