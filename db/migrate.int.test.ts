import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { Database } from './database.ts';
import { migrateToLatest, migrations, migrationsAreCurrent } from './migrate.ts';

describe(`migrations on ${testDatabaseKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.close());

  it('creates a table for every system of the spec', async () => {
    const { rows } = await database.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    const tables = rows.map((row) => row.table_name);
    for (const table of [
      'accounts',
      'contacts',
      'plans',
      'subscriptions',
      'invoices',
      'payments',
      'refunds',
      'credits',
      'tickets',
      'ticket_comments',
      'incidents',
      'engineers',
      'bookings',
      'kb_articles',
      'kb_chunks',
      'conversations',
      'messages',
      'escalations',
      'connector_credentials',
      'audit_log',
      'idempotency_keys',
      'email_outbox',
    ]) {
      expect(tables).toContain(table);
    }
  });

  it('is current after migrating, and migrating again applies nothing', async () => {
    expect(await migrationsAreCurrent(database.pool)).toBe(true);
    expect(await migrateToLatest(database.pool)).toEqual([]);
    const { rows } = await database.pool.query('SELECT name FROM kysely_migration');
    expect(rows).toHaveLength(Object.keys(migrations).length);
  });

  it('has the price list as reference data', async () => {
    const { rows } = await database.pool.query('SELECT id, price_cents FROM plans ORDER BY sort_order');
    expect(rows).toEqual([
      { id: 'free', price_cents: 0 },
      { id: 'starter', price_cents: 2900 },
      { id: 'pro', price_cents: 9900 },
      { id: 'business', price_cents: 49900 },
      { id: 'enterprise', price_cents: null },
    ]);
  });

  it('stores and compares vectors (pgvector is there)', async () => {
    const { rows } = await database.pool.query(`SELECT '[1,0,0]'::vector <=> '[0,1,0]'::vector AS distance`);
    expect(rows[0].distance).toBeCloseTo(1);
  });
});
