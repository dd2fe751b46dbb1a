import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { createTestDatabase } from '../../test/support/database.ts';
import { createReadCache, invalidateAccountReads, invalidateConnectorReads } from './cache.ts';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const keys = async () =>
  (
    await database.pool.query<{ cache_key: string }>(
      'SELECT cache_key FROM connector_cache ORDER BY cache_key',
    )
  ).rows.map((row) => row.cache_key);

describe('invalidateAccountReads', () => {
  it("drops one connector's entries of one account (and untagged ones), nothing else", async () => {
    const cache = createReadCache(database.pool, () => new Date('2026-11-20T09:00:00Z'));
    cache.put('billing.get_subscription:a1', 'billing', 'get_subscription', { plan: 'pro' }, 'acc_1');
    cache.put('billing.list_invoices:a1', 'billing', 'list_invoices', { invoices: [] }, 'acc_1');
    cache.put('billing.get_subscription:a2', 'billing', 'get_subscription', { plan: 'starter' }, 'acc_2');
    cache.put('billing.get_subscription:old', 'billing', 'get_subscription', { plan: 'free' });
    cache.put('ticketing.list_tickets:a1', 'ticketing', 'list_tickets', { tickets: [] }, 'acc_1');
    await cache.flush();
    expect(
      (
        await database.pool.query(
          `SELECT account_id FROM connector_cache WHERE cache_key = 'billing.list_invoices:a1'`,
        )
      ).rows,
    ).toEqual([{ account_id: 'acc_1' }]);

    expect(await invalidateAccountReads(database.pool, 'billing', 'acc_1')).toBe(3);
    expect(await keys()).toEqual(['billing.get_subscription:a2', 'ticketing.list_tickets:a1']);
    expect(await cache.get('billing.get_subscription:a1')).toBeNull();
    expect(await cache.get('billing.get_subscription:a2')).toMatchObject({ value: { plan: 'starter' } });
    expect(await invalidateAccountReads(database.pool, 'billing', 'acc_1')).toBe(0);
  });

  it('a changed value is stored again after an invalidation', async () => {
    let now = new Date('2026-11-20T09:00:00Z');
    const cache = createReadCache(database.pool, () => now);
    cache.put('billing.get_subscription:a3', 'billing', 'get_subscription', { status: 'active' }, 'acc_3');
    await cache.flush();
    await invalidateAccountReads(database.pool, 'billing', 'acc_3');
    now = new Date('2026-11-20T09:00:05Z');
    cache.put('billing.get_subscription:a3', 'billing', 'get_subscription', { status: 'past_due' }, 'acc_3');
    await cache.flush();
    expect(await cache.get('billing.get_subscription:a3')).toEqual({
      value: { status: 'past_due' },
      ageSeconds: 0,
    });
  });

  it('invalidateConnectorReads drops every entry of one connector only', async () => {
    const cache = createReadCache(database.pool, () => new Date('2026-11-20T09:00:00Z'));
    cache.put('billing.get_subscription:b1', 'billing', 'get_subscription', { plan: 'pro' }, 'acc_7');
    cache.put('crm.get_contact:b1', 'crm', 'get_contact', { name: 'A' }, 'acc_7');
    await cache.flush();
    await invalidateConnectorReads(database.pool, 'billing');
    const left = await keys();
    expect(left.filter((key) => key.startsWith('billing.'))).toEqual([]);
    expect(left).toContain('crm.get_contact:b1');
  });
});
