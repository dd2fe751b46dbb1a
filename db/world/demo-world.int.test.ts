import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import type { Database } from '../database.ts';
import { buildDemoWorld, demoCustomers } from './demo-world.ts';
import { seedDemoWorld } from './seed-demo.ts';
import { summarizeWorld } from './summary.ts';

const anchor = new Date('2026-11-25T12:00:00Z');

describe('buildDemoWorld', () => {
  it('is deterministic for a seed and anchor', () => {
    expect(buildDemoWorld({ anchor })).toEqual(buildDemoWorld({ anchor }));
    expect(buildDemoWorld({ anchor, seed: 7 }).accounts).not.toEqual(buildDemoWorld({ anchor }).accounts);
  });
});

describe(`seedDemoWorld on ${testDatabaseKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
    expect(await seedDemoWorld(database.pool, { anchor })).toEqual({ seeded: true });
  });
  afterAll(async () => database?.close());
  const query = async (text: string, values: unknown[] = []) =>
    (await database.pool.query(text, values)).rows;

  it('has the size the spec describes', async () => {
    const { crm, billing, ticketing, calendar } = await summarizeWorld(database.pool);
    expect(crm!.accounts).toBe(200);
    expect(crm!.contacts).toBeGreaterThanOrEqual(350);
    expect(billing!.invoices).toBeGreaterThan(500);
    expect(ticketing!.incidents).toBeGreaterThanOrEqual(3);
    expect(calendar!.engineers).toBe(6);
    expect(calendar!.bookings).toBeGreaterThan(5);
  });

  it('covers every tier and region', async () => {
    const tiers = await query('SELECT DISTINCT tier FROM accounts ORDER BY tier');
    expect(tiers.map((row) => row.tier)).toEqual(['business', 'enterprise', 'free', 'pro', 'starter']);
    const regions = await query('SELECT DISTINCT region FROM accounts ORDER BY region');
    expect(regions.map((row) => row.region)).toEqual(['APAC', 'EU', 'NA']);
  });

  it('keeps references whole: every invoice, payment and ticket belongs to a real parent', async () => {
    expect(await query('SELECT id FROM invoices WHERE account_id NOT IN (SELECT id FROM accounts)')).toEqual(
      [],
    );
    expect(await query('SELECT id FROM payments WHERE invoice_id NOT IN (SELECT id FROM invoices)')).toEqual(
      [],
    );
    expect(
      await query(
        'SELECT t.id FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE c.account_id <> t.account_id',
      ),
    ).toEqual([]);
    expect(
      await query(
        `SELECT id FROM accounts WHERE tier <> 'free' AND id NOT IN (SELECT account_id FROM invoices)`,
      ),
    ).toEqual([]);
  });

  it('has a duplicate charge inside the refund window for the duplicate-charge customer', async () => {
    const rows = await query(
      `SELECT p.invoice_id, count(*)::int AS charges, max(p.created_at) AS latest
         FROM payments p JOIN invoices i ON i.id = p.invoice_id
        WHERE i.account_id = $1 AND p.status = 'succeeded'
        GROUP BY p.invoice_id HAVING count(*) > 1`,
      [demoCustomers.duplicateCharge.account],
    );
    expect(rows).toHaveLength(1);
    expect(anchor.getTime() - new Date(rows[0].latest).getTime()).toBeLessThan(30 * 86_400_000);
  });

  it('has a duplicate charge above the auto-refund limit, a failed payment, and a charge outside the window', async () => {
    const above = await query(
      `SELECT p.amount_cents FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE i.account_id = $1
        GROUP BY p.invoice_id, p.amount_cents HAVING count(*) > 1`,
      [demoCustomers.refundAboveLimit.account],
    );
    expect(above[0].amount_cents).toBeGreaterThan(20_000);
    const failed = await query(
      `SELECT p.failure_reason FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE i.account_id = $1 AND p.status = 'failed'`,
      [demoCustomers.failedPayment.account],
    );
    expect(failed).toEqual([{ failure_reason: 'card_expired' }]);
    const old = await query(
      `SELECT p.created_at FROM payments p JOIN invoices i ON i.id = p.invoice_id
        WHERE i.account_id = $1 AND p.created_at < $2::timestamptz - interval '30 days' AND p.created_at > $2::timestamptz - interval '60 days'`,
      [demoCustomers.refundOutsideWindow.account, anchor.toISOString()],
    );
    expect(old.length).toBeGreaterThan(0);
  });

  it('has enterprise accounts with an owner, open tickets, an open incident and engineers with hours', async () => {
    const enterprise = await query(`SELECT owner_name FROM accounts WHERE id = $1 AND tier = 'enterprise'`, [
      demoCustomers.enterprise.account,
    ]);
    expect(enterprise[0].owner_name).toBeTruthy();
    const open = await query(`SELECT id FROM tickets WHERE account_id = $1 AND status = 'open'`, [
      demoCustomers.openTicket.account,
    ]);
    expect(open.length).toBeGreaterThan(0);
    expect(await query(`SELECT id FROM incidents WHERE status = 'open'`)).toHaveLength(1);
    const engineers = await query(`SELECT hours_start, hours_end FROM engineers`);
    expect(engineers.every((row) => row.hours_start === '09:00' && row.hours_end === '17:00')).toBe(true);
  });

  it('never seeds twice', async () => {
    const before = await summarizeWorld(database.pool);
    expect((await seedDemoWorld(database.pool, { anchor })).seeded).toBe(false);
    expect(await summarizeWorld(database.pool)).toEqual(before);
  });
});
