import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { Database } from './database.ts';
import { migrateTo, migrateToLatest, migrations, migrationsAreCurrent } from './migrate.ts';

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

  it('0007 gives existing chunks their article’s filters and an existing index its public partial index', async () => {
    const publicIndex = async () =>
      (
        await database.pool.query(
          `SELECT 1 FROM pg_indexes WHERE indexname = 'kb_chunks_embedding_public_hnsw'`,
        )
      ).rowCount;
    try {
      await migrateTo(database.pool, '0006-api-and-jobs');
      // A knowledge base indexed before 0007: an article, its chunk and the whole-index HNSW.
      await database.pool.query(`
        INSERT INTO kb_articles (slug, title, tags, visibility, body, content_hash)
          VALUES ('old-article', 'Old', '{billing}', 'internal', 'Body', 'h');
        INSERT INTO kb_chunks (article_slug, ordinal, content, content_hash, embedding)
          VALUES ('old-article', 0, 'Body', 'h0', '[1,0,0]');
        INSERT INTO kb_index (id, model, dimensions) VALUES (true, 'test-model', 3);
        CREATE INDEX kb_chunks_embedding_hnsw ON kb_chunks USING hnsw ((embedding::vector(3)) vector_cosine_ops);`);
      expect(await publicIndex()).toBe(0);
      // 0007 first, then whatever later migrations exist.
      expect(await migrateToLatest(database.pool)).toEqual(
        Object.keys(migrations).filter((name) => name > '0006-api-and-jobs'),
      );
      const { rows } = await database.pool.query(
        "SELECT visibility, tags FROM kb_chunks WHERE article_slug = 'old-article'",
      );
      expect(rows).toEqual([{ visibility: 'internal', tags: ['billing'] }]);
      expect(await publicIndex()).toBe(1);
    } finally {
      await database.pool.query(`
        DROP INDEX IF EXISTS kb_chunks_embedding_hnsw, kb_chunks_embedding_public_hnsw;
        DELETE FROM kb_index; DELETE FROM kb_articles WHERE slug = 'old-article';`);
      await migrateToLatest(database.pool);
    }
    expect(await migrationsAreCurrent(database.pool)).toBe(true);
  });
});
