import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession } from '../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../core/connector-gateway.ts';
import type { CallerSession } from '../core/definition.ts';
import { createTicketingConnector, ticketingPolicy } from './index.ts';

const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Northwind', tier: 'starter', region: 'NA' },
  ],
  contacts: [
    { id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' },
    { id: 'ct_2', account: 'acc_2', name: 'Ola Nordmann', email: 'ola@northwind.test' },
  ],
  incidents: [
    {
      id: 'inc_1',
      title: 'Dashboards slow in EU',
      status: 'open',
      started_at: '2026-11-20T07:00:00Z',
      summary: 'Investigating',
      components: ['dashboards'],
    },
  ],
  tickets: [
    {
      id: 'TCK-1042',
      account: 'acc_2',
      contact: 'ct_2',
      subject: 'Not yours',
      status: 'new',
      priority: 'high',
      category: 'bug',
      created_at: '2026-11-12T10:00:00Z',
    },
  ],
};

let database: Database;
let gateway: ManagedConnectorGateway;
const ticketCount = async () =>
  (await database.pool.query('SELECT count(*)::int AS n FROM tickets')).rows[0].n;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadWorld(database.pool, world);
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [createTicketingConnector({ db: database.pool })],
    policies: { ticketing: ticketingPolicy },
    now: () => new Date('2026-11-20T09:00:00Z'),
    policyCacheMs: 0,
  });
});
afterAll(async () => {
  await gateway?.close();
  await database?.close();
});

describe(`ticketing through the gateway (${testDatabaseKind()})`, () => {
  it('files a ticket for an unverified customer once, linking the incident', async () => {
    const unverified = customerSession('ct_1', 'acc_1', { verified: false, conversationId: 'conv_1' });
    const input = {
      subject: 'Dashboards',
      description: 'The dashboards will not load',
      priority: 'high',
      category: 'bug',
    };
    const created = await gateway.callByName(unverified, 'ticketing', 'create_ticket', input);
    expect(created).toMatchObject({
      status: 'ok',
      data: { ticket_id: 'TCK-1043', incident: { id: 'inc_1' } },
    });
    expect(await gateway.callByName(unverified, 'ticketing', 'create_ticket', input)).toMatchObject({
      status: 'ok',
      replayed: true,
    });
    expect(await ticketCount()).toBe(2);
    const read = await gateway.callByName(unverified, 'ticketing', 'get_ticket', { ticket_id: 'TCK-1043' });
    expect(read).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
  });

  it("refuses another customer's ticket, for reading and commenting", async () => {
    const maya = customerSession('ct_1', 'acc_1', { conversationId: 'conv_2' });
    expect(
      await gateway.callByName(maya, 'ticketing', 'get_ticket', { ticket_id: 'TCK-1042' }),
    ).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(
      await gateway.callByName(maya, 'ticketing', 'add_comment', { ticket_id: 'TCK-1042', body: 'hi' }),
    ).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM ticket_comments');
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('lets an anonymous visitor search incidents and file a ticket with a reply address, but never name a contact', async () => {
    const visitor: CallerSession = { conversationId: 'conv_3', actor: 'agent', customer: null };
    const incidents = await gateway.callByName(visitor, 'ticketing', 'search_incidents', {
      query: 'dashboard',
    });
    expect(incidents).toMatchObject({ status: 'ok', data: { incidents: [{ id: 'inc_1' }] } });
    const ticket = await gateway.callByName(visitor, 'ticketing', 'create_ticket', {
      requester_email: 'visitor@example.test',
      subject: 'Help',
      description: 'Broken',
    });
    expect(ticket).toMatchObject({ status: 'ok', data: { status: 'new' } });
    const ticketId = (ticket as { data: { ticket_id: string } }).data.ticket_id;
    const { rows } = await database.pool.query(
      'SELECT account_id, contact_id, requester_email FROM tickets WHERE id = $1',
      [ticketId],
    );
    expect(rows).toEqual([{ account_id: null, contact_id: null, requester_email: 'visitor@example.test' }]);
    // A visitor cannot attach a ticket to somebody's contact record.
    const spoofed = await gateway.callByName(visitor, 'ticketing', 'create_ticket', {
      contact_id: 'ct_1',
      subject: 'Help',
      description: 'Broken again',
    });
    expect(spoofed).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
  });
});
