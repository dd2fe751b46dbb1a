import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import type { Database } from '../database.ts';
import { clearWorld, loadWorld, WorldValidationError } from './load-world.ts';
import { readPolicy } from './policy.ts';

const fixtureUrl = new URL('../../test/fixtures/worlds/duplicate-charge.yaml', import.meta.url);

describe(`loadWorld on ${testDatabaseKind()}`, () => {
  let database: Database;
  let fixture: Record<string, unknown>;
  beforeAll(async () => {
    database = await createTestDatabase();
    fixture = parse(await readFile(fixtureUrl, 'utf8'));
  });
  afterAll(async () => database?.close());
  beforeEach(async () => clearWorld(database.pool));

  it('loads the docs/evals.md example world with ids kept as given', async () => {
    await loadWorld(database.pool, fixture);
    const payments = await database.pool.query(
      'SELECT id, invoice_id, amount_cents FROM payments ORDER BY id',
    );
    expect(payments.rows).toEqual([
      { id: 'pay_1', invoice_id: 'INV-1001', amount_cents: 9900 },
      { id: 'pay_2', invoice_id: 'INV-1001', amount_cents: 9900 },
    ]);
    const engineer = await database.pool.query('SELECT hours_start, hours_end, days FROM engineers');
    expect(engineer.rows[0]).toEqual({
      hours_start: '09:00',
      hours_end: '17:00',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    });
    const contact = await database.pool.query('SELECT timezone FROM contacts WHERE id = $1', ['ct_1']);
    expect(contact.rows[0].timezone).toBe('Europe/Berlin');
  });

  it('applies policy overrides on top of the defaults', async () => {
    await loadWorld(database.pool, { ...fixture, policy: { auto_refund_limit_cents: 5000 } });
    expect(await readPolicy(database.pool)).toEqual({
      auto_refund_limit_cents: 5000,
      refund_window_days: 30,
    });
  });

  it('rejects an unknown key and names it', async () => {
    const bad = { ...fixture, acounts: [] };
    await expect(loadWorld(database.pool, bad)).rejects.toThrow(/world: unknown key\(s\) "acounts"/);
    const typo = { accounts: [{ id: 'a', name: 'A', tier: 'pro', region: 'EU', teir: 'x' }] };
    await expect(loadWorld(database.pool, typo)).rejects.toThrow(
      /world\.accounts\[0\]: unknown key\(s\) "teir"/,
    );
  });

  it('rejects a dangling reference and names the field', async () => {
    const payments = [
      ...(fixture.payments as object[]),
      {
        id: 'pay_3',
        invoice: 'INV-404',
        amount_cents: 1,
        status: 'succeeded',
        created_at: '2026-11-01T00:00:00Z',
      },
    ];
    const error = await loadWorld(database.pool, { ...fixture, payments }).catch((caught) => caught);
    expect(error).toBeInstanceOf(WorldValidationError);
    expect(error.issues).toContainEqual({
      path: 'world.payments[2].invoice',
      message: '"INV-404" does not match any invoices id',
    });
  });

  it('rejects duplicate ids, bad enums, bad time zones and tickets of another account’s contact', async () => {
    const bad = {
      accounts: [
        { id: 'a1', name: 'A', tier: 'pro', region: 'EU' },
        { id: 'a1', name: 'B', tier: 'gold', region: 'EU' },
        { id: 'a2', name: 'C', tier: 'pro', region: 'NA' },
      ],
      contacts: [{ id: 'c1', account: 'a2', name: 'C', email: 'c@x.io', timezone: 'Mars/Olympus' }],
      tickets: [
        {
          id: 't1',
          account: 'a1',
          contact: 'c1',
          subject: 's',
          status: 'open',
          priority: 'low',
          category: 'bug',
          created_at: '2026-11-01T00:00:00Z',
        },
      ],
    };
    const error = await loadWorld(database.pool, bad).catch((caught) => caught);
    const paths = (error as WorldValidationError).issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['world.accounts[1].tier', 'world.contacts[0].timezone']));
    // Reference checks run once the shapes are valid.
    const shapesOk = {
      ...bad,
      accounts: [bad.accounts[0], { ...bad.accounts[1], tier: 'pro' }, bad.accounts[2]],
      contacts: [{ ...bad.contacts[0], timezone: 'UTC' }],
    };
    const second = (await loadWorld(database.pool, shapesOk).catch(
      (caught) => caught,
    )) as WorldValidationError;
    expect(second.issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['world.accounts[1].id', 'world.tickets[0].contact']),
    );
  });

  it('loads nothing when an insert fails midway', async () => {
    await loadWorld(database.pool, fixture);
    // Loading the same world again collides on primary keys after accounts… and must roll back whole.
    const second = { ...fixture, accounts: [{ id: 'acc_new', name: 'New', tier: 'pro', region: 'NA' }] };
    await expect(loadWorld(database.pool, second)).rejects.toThrow();
    const accounts = await database.pool.query('SELECT id FROM accounts ORDER BY id');
    expect(accounts.rows.map((row) => row.id)).toEqual(['acc_1']);
  });

  it('refuses articles when no knowledge ingester is wired', async () => {
    const withArticles = {
      ...fixture,
      articles: [{ slug: 'a', title: 'A', body: 'text', visibility: 'public' }],
    };
    await expect(loadWorld(database.pool, withArticles)).rejects.toThrow(/no knowledge ingester/);
  });
});
