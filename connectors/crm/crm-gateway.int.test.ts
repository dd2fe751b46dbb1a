import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession, systemSession } from '../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../core/connector-gateway.ts';
import { createCrmConnector, crmPolicy } from './index.ts';

const world: WorldInput = {
  accounts: [
    {
      id: 'acc_1',
      name: 'Brightpath',
      tier: 'pro',
      region: 'EU',
      owner_name: 'Sam Owner',
      owner_email: 'sam@lumen.test',
      notes: ['internal only'],
    },
    { id: 'acc_2', name: 'Northwind', tier: 'starter', region: 'NA' },
  ],
  contacts: [
    { id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' },
    { id: 'ct_2', account: 'acc_2', name: 'Ola Nordmann', email: 'ola@northwind.test' },
  ],
};

let database: Database;
let gateway: ManagedConnectorGateway;
const maya = customerSession('ct_1', 'acc_1', { conversationId: 'conv_1' });

beforeAll(async () => {
  database = await createTestDatabase();
  await loadWorld(database.pool, world);
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [createCrmConnector({ db: database.pool })],
    policies: { crm: crmPolicy },
    now: () => new Date('2026-11-20T09:00:00Z'),
    policyCacheMs: 0,
  });
});
afterAll(async () => {
  await gateway?.close();
  await database?.close();
});

describe(`crm through the gateway (${testDatabaseKind()})`, () => {
  it("updates the verified customer's own contact once, whatever contact the arguments name", async () => {
    const result = await gateway.callByName(maya, 'crm', 'update_contact', { phone: '+49 30 5555' });
    expect(result).toMatchObject({
      status: 'ok',
      data: { changed_fields: ['phone'], contact: { id: 'ct_1', phone: '+49 30 5555' } },
    });
    const replay = await gateway.callByName(maya, 'crm', 'update_contact', { phone: '+49 30 5555' });
    expect(replay).toMatchObject({ status: 'ok', replayed: true });
    const other = await gateway.callByName(maya, 'crm', 'update_contact', {
      contact_id: 'ct_2',
      phone: '+1 555 0100',
    });
    expect(other).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    const { rows } = await database.pool.query(`SELECT phone FROM contacts WHERE id = 'ct_2'`);
    expect(rows).toEqual([{ phone: null }]);
  });

  it('refuses an unverified customer a contact update', async () => {
    const unverified = customerSession('ct_1', 'acc_1', { verified: false });
    const result = await gateway.callByName(unverified, 'crm', 'update_contact', { title: 'Boss' });
    expect(result).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
  });

  it("refuses another customer's account and hides the owner's email and internal notes", async () => {
    const foreign = await gateway.callByName(maya, 'crm', 'get_account', { account_id: 'acc_2' });
    expect(foreign).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    const own = await gateway.callByName(maya, 'crm', 'get_account', {});
    expect(own).toMatchObject({ status: 'ok', data: { name: 'Brightpath', owner_name: 'Sam Owner' } });
    expect(JSON.stringify(own)).not.toContain('sam@lumen.test');
    const history = await gateway.callByName(maya, 'crm', 'interaction_history', {});
    expect(history).toMatchObject({ status: 'ok', data: { items: [] } });
  });

  it('resolves identity by email for the system, never for the agent', async () => {
    const resolved = await gateway.callByName(systemSession, 'crm', 'find_contact_by_email', {
      email: 'ola@northwind.test',
    });
    expect(resolved).toMatchObject({
      status: 'ok',
      data: { contact: { id: 'ct_2', account_id: 'acc_2', account_tier: 'starter' } },
    });
    const byAgent = await gateway.callByName(maya, 'crm', 'find_contact_by_email', {
      email: 'ola@northwind.test',
    });
    expect(byAgent).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
  });
});
