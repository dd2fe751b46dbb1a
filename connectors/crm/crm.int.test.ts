import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession, invoke, rejectionOf, systemSession, testContext } from '../builtin-test-world.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import { fieldRulesFor, parseConnectorPolicy } from '../core/policy.ts';
import { applyFieldRules } from '../core/redaction.ts';
import { createCrmConnector, crmPolicy } from './index.ts';

const now = '2026-11-20T09:00:00Z';

const world: WorldInput = {
  accounts: [
    {
      id: 'acc_1',
      name: 'Brightpath',
      tier: 'pro',
      region: 'EU',
      owner_name: 'Sam Owner',
      owner_email: 'sam@lumen.test',
      notes: ['Renewal risk: unhappy with exports'],
    },
    { id: 'acc_2', name: 'Northwind', tier: 'starter', region: 'NA' },
  ],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/Berlin',
      phone: '+49 30 1234',
      title: 'CTO',
    },
    { id: 'ct_1b', account: 'acc_1', name: 'Leo Brandt', email: 'leo@brightpath.io' },
    { id: 'ct_2', account: 'acc_2', name: 'Ola Nordmann', email: 'ola@northwind.test' },
  ],
};

let database: Database;
let crm: ConnectorDefinition;
const maya = (actor: 'agent' | 'human' = 'agent') =>
  testContext(customerSession('ct_1', 'acc_1', { actor }), now);
const leo = () => testContext(customerSession('ct_1b', 'acc_1'), now);
const call = (name: string, input: Record<string, unknown>, context = maya()) =>
  invoke(crm.operations[name]!, input, context);
const contactRow = async (id: string) =>
  (
    await database.pool.query(
      'SELECT name, email, phone, title, timezone, updated_at FROM contacts WHERE id = $1',
      [id],
    )
  ).rows[0];

beforeAll(async () => {
  database = await createTestDatabase();
  crm = createCrmConnector({ db: database.pool });
});
afterAll(async () => database?.close());
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, world);
  await database.pool.query(
    `INSERT INTO interactions (id, account_id, contact_id, kind, body, author, created_at) VALUES
       ('int_chat', 'acc_1', 'ct_1', 'chat', 'Asked about SSO', 'agent', '2026-11-18T10:00:00Z'),
       ('int_mail', 'acc_1', 'ct_1', 'email', 'Invoice copy sent', 'agent', '2026-11-19T10:00:00Z'),
       ('int_other', 'acc_2', 'ct_2', 'call', 'Not yours', 'agent', '2026-11-19T11:00:00Z')`,
  );
});

describe(`crm reads (${testDatabaseKind()})`, () => {
  it('find_contact_by_email resolves an address case-insensitively, for the system only', async () => {
    const system = testContext(systemSession, now);
    const found = await call('find_contact_by_email', { email: 'MAYA@Brightpath.io' }, system);
    expect(found.contact).toMatchObject({
      id: 'ct_1',
      account_id: 'acc_1',
      account_tier: 'pro',
      timezone: 'Europe/Berlin',
    });
    expect(await call('find_contact_by_email', { email: 'nobody@example.test' }, system)).toEqual({
      contact: null,
    });
    expect((await rejectionOf(call('find_contact_by_email', { email: 'ola@northwind.test' }))).kind).toBe(
      'forbidden',
    );
  });

  it('get_contact returns the contact', async () => {
    expect(await call('get_contact', { contact_id: 'ct_1' })).toMatchObject({
      id: 'ct_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      phone: '+49 30 1234',
      title: 'CTO',
      timezone: 'Europe/Berlin',
    });
    expect((await rejectionOf(call('get_contact', { contact_id: 'ct_nope' }))).kind).toBe('not_found');
  });

  it("get_account returns the account, and the policy keeps the owner's email from the agent", async () => {
    const account = await call('get_account', { account_id: 'acc_1' });
    expect(account).toMatchObject({
      name: 'Brightpath',
      tier: 'pro',
      region: 'EU',
      owner_name: 'Sam Owner',
      contact_count: 2,
    });
    expect(account.owner_email).toBe('sam@lumen.test');
    const rules = fieldRulesFor(parseConnectorPolicy('crm', crmPolicy), 'get_account');
    expect(applyFieldRules(account, rules)).toEqual({
      id: 'acc_1',
      name: 'Brightpath',
      tier: 'pro',
      region: 'EU',
      owner_name: 'Sam Owner',
    });
  });

  it('interaction_history gives the agent customer-facing history only, and humans the internal notes too', async () => {
    const forAgent = await call('interaction_history', { account_id: 'acc_1' });
    expect(forAgent.items.map((item: { id: string }) => item.id)).toEqual(['int_mail', 'int_chat']);
    const forHuman = await call('interaction_history', { account_id: 'acc_1' }, maya('human'));
    expect(
      forHuman.items.map((item: { kind: string; internal: boolean }) => [item.kind, item.internal]),
    ).toEqual([
      ['note', true],
      ['email', false],
      ['chat', false],
    ]);
    expect((await call('interaction_history', { account_id: 'acc_1', limit: 1 })).items).toHaveLength(1);
  });

  it('check() reports row counts', async () => {
    expect(await crm.check(new AbortController().signal)).toEqual({
      ok: true,
      detail: '2 accounts, 3 contacts',
    });
  });
});

describe(`crm.update_contact (${testDatabaseKind()})`, () => {
  it('changes only the fields given', async () => {
    const result = await call('update_contact', { contact_id: 'ct_1', phone: '+49 30 9999', title: 'CEO' });
    expect(result.changed_fields).toEqual(['phone', 'title']);
    expect(result.previous).toEqual({ phone: '+49 30 1234', title: 'CTO' });
    const row = await contactRow('ct_1');
    expect(row).toMatchObject({
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      phone: '+49 30 9999',
      title: 'CEO',
    });
    expect(new Date(row.updated_at).toISOString()).toBe('2026-11-20T09:00:00.000Z');
  });

  it('changes nothing when the values are already there (a retry)', async () => {
    await call('update_contact', { contact_id: 'ct_1', email: 'maya.chen@brightpath.io' });
    const retry = await call('update_contact', { contact_id: 'ct_1', email: 'maya.chen@brightpath.io' });
    expect(retry).toMatchObject({ changed_fields: [], previous: {} });
    expect(retry.contact.email).toBe('maya.chen@brightpath.io');
  });

  it('refuses an email that belongs to another contact, whatever its case', async () => {
    const error = await rejectionOf(
      call('update_contact', { contact_id: 'ct_1', email: 'OLA@northwind.test' }),
    );
    expect(error.kind).toBe('conflict');
    expect(error.message).not.toContain('ola@');
    expect((await contactRow('ct_1')).email).toBe('maya@brightpath.io');
  });

  it('lets one of two contacts racing for the same new email have it', async () => {
    const outcomes = await Promise.allSettled([
      call('update_contact', { contact_id: 'ct_1', email: 'shared@brightpath.io' }),
      call('update_contact', { contact_id: 'ct_1b', email: 'shared@brightpath.io' }, leo()),
    ]);
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason.kind).toBe('conflict');
    const { rows } = await database.pool.query(
      `SELECT id FROM contacts WHERE email = 'shared@brightpath.io'`,
    );
    expect(rows).toHaveLength(1);
  });

  it('refuses an empty change, a bad time zone and unknown fields', async () => {
    await expect(call('update_contact', { contact_id: 'ct_1' })).rejects.toThrow(/at least one field/);
    await expect(call('update_contact', { contact_id: 'ct_1', timezone: 'Mars/Olympus' })).rejects.toThrow(
      /time zone/,
    );
    await expect(
      call('update_contact', { contact_id: 'ct_1', account_id: 'acc_2', name: 'X' }),
    ).rejects.toThrow();
    expect((await rejectionOf(call('update_contact', { contact_id: 'ct_nope', name: 'X' }))).kind).toBe(
      'not_found',
    );
  });

  it('derives its key from the contact and the changes', () => {
    const key = crm.operations.update_contact!.idempotencyKey!;
    expect(key({ contact_id: 'ct_1', phone: '1234' })).toMatch(/^update_contact:ct_1:[0-9a-f]{16}$/);
    expect(key({ contact_id: 'ct_1', phone: '1234' })).not.toBe(key({ contact_id: 'ct_1', phone: '12345' }));
  });
});

describe(`crm.add_note (${testDatabaseKind()})`, () => {
  it('adds a note to the account history once, even when retried', async () => {
    const note = await call('add_note', {
      account_id: 'acc_1',
      body: 'Refunded duplicate charge pay_2',
      contact_id: 'ct_1',
    });
    expect(note).toMatchObject({
      account_id: 'acc_1',
      created_at: '2026-11-20T09:00:00.000Z',
      already_added: false,
    });
    const retry = await call('add_note', {
      account_id: 'acc_1',
      body: 'Refunded duplicate charge pay_2',
      contact_id: 'ct_1',
    });
    expect(retry).toMatchObject({ note_id: note.note_id, already_added: true });
    const { rows } = await database.pool.query(
      `SELECT kind, author, contact_id FROM interactions WHERE id = $1`,
      [note.note_id],
    );
    expect(rows).toEqual([{ kind: 'note', author: 'agent', contact_id: 'ct_1' }]);
  });

  it('refuses a contact of another account', async () => {
    const error = await rejectionOf(call('add_note', { account_id: 'acc_1', body: 'x', contact_id: 'ct_2' }));
    expect(error.kind).toBe('invalid_input');
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM interactions WHERE kind = 'note'`,
    );
    expect(rows).toEqual([{ n: 1 }]);
  });
});
