import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession, invoke, rejectionOf, testContext } from '../builtin-test-world.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import { createTicketingConnector } from './index.ts';

const now = '2026-11-20T09:00:00Z';

const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Northwind', tier: 'starter', region: 'NA' },
  ],
  contacts: [
    { id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' },
    { id: 'ct_1b', account: 'acc_1', name: 'Leo Brandt', email: 'leo@brightpath.io' },
    { id: 'ct_2', account: 'acc_2', name: 'Ola Nordmann', email: 'ola@northwind.test' },
  ],
  incidents: [
    {
      id: 'inc_dash',
      title: 'Elevated error rates on dashboards in EU',
      status: 'open',
      started_at: '2026-11-20T07:00:00Z',
      summary: 'Dashboards fail to load for some EU workspaces.',
      severity: 'SEV1',
      components: ['dashboards'],
    },
    {
      id: 'inc_api',
      title: 'API latency',
      status: 'resolved',
      started_at: '2026-11-01T07:00:00Z',
      resolved_at: '2026-11-01T09:00:00Z',
      summary: 'Slow API responses.',
      components: ['api'],
    },
  ],
  tickets: [
    {
      id: 'TCK-1041',
      account: 'acc_1',
      contact: 'ct_1',
      subject: 'Export stuck',
      status: 'open',
      priority: 'normal',
      category: 'bug',
      created_at: '2026-11-10T10:00:00Z',
    },
    {
      id: 'TCK-1040',
      account: 'acc_1',
      contact: 'ct_1b',
      subject: 'SSO question',
      status: 'solved',
      priority: 'low',
      category: 'question',
      created_at: '2026-11-05T10:00:00Z',
    },
    {
      id: 'OLD-7',
      account: 'acc_1',
      contact: 'ct_1',
      subject: 'Old import',
      status: 'closed',
      priority: 'low',
      category: 'bug',
      created_at: '2025-01-05T10:00:00Z',
    },
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
let ticketing: ConnectorDefinition;
const maya = (actor: 'agent' | 'human' = 'agent') =>
  testContext(customerSession('ct_1', 'acc_1', { actor, conversationId: 'conv_42' }), now);
const call = (name: string, input: Record<string, unknown>, context = maya()) =>
  invoke(ticketing.operations[name]!, input, context);
const bugReport = {
  contact_id: 'ct_1',
  subject: 'Dashboards not loading',
  description: 'Since this morning our dashboard shows a 500 error.',
  priority: 'high',
  category: 'bug',
};

beforeAll(async () => {
  database = await createTestDatabase();
  ticketing = createTicketingConnector({ db: database.pool });
});
afterAll(async () => database?.close());
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, world);
  await database.pool.query(
    `INSERT INTO ticket_comments (id, ticket_id, author, body, internal, created_at) VALUES
       ('cm_1', 'TCK-1041', 'agent', 'We are looking into it.', false, '2026-11-10T11:00:00Z'),
       ('cm_2', 'TCK-1041', 'human:ha_1', 'Customer is on the renewal-risk list.', true, '2026-11-10T12:00:00Z')`,
  );
});

describe(`ticketing.create_ticket (${testDatabaseKind()})`, () => {
  it('files TCK-<next> and links the open incident the report matches', async () => {
    const ticket = await call('create_ticket', bugReport);
    expect(ticket).toEqual({
      ticket_id: 'TCK-1043',
      status: 'new',
      priority: 'high',
      category: 'bug',
      subject: 'Dashboards not loading',
      created_at: '2026-11-20T09:00:00.000Z',
      incident: {
        id: 'inc_dash',
        title: 'Elevated error rates on dashboards in EU',
        severity: 'SEV1',
        summary: expect.any(String),
      },
      already_exists: false,
    });
    const { rows } = await database.pool.query(
      'SELECT account_id, contact_id, incident_id, conversation_id FROM tickets WHERE id = $1',
      ['TCK-1043'],
    );
    expect(rows).toEqual([
      { account_id: 'acc_1', contact_id: 'ct_1', incident_id: 'inc_dash', conversation_id: 'conv_42' },
    ]);
  });

  it('links no incident for an unrelated report, nor a resolved one', async () => {
    const unrelated = await call('create_ticket', {
      ...bugReport,
      subject: 'Invoice address',
      description: 'Please fix the address on my invoice.',
    });
    expect(unrelated.incident).toBeNull();
    const resolved = await call('create_ticket', {
      ...bugReport,
      subject: 'API slow',
      description: 'The API is slow for us.',
    });
    expect(resolved.incident).toBeNull();
  });

  it('reports the same ticket when the same report is filed again', async () => {
    const first = await call('create_ticket', bugReport);
    const again = await call('create_ticket', bugReport);
    expect(again).toEqual({ ...first, already_exists: true });
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM tickets WHERE contact_id = 'ct_1'`,
    );
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('numbers concurrent tickets without collisions', async () => {
    const tickets = await Promise.all(
      ['one', 'two', 'three'].map((word) =>
        call('create_ticket', { ...bugReport, description: `Problem ${word}` }),
      ),
    );
    expect(tickets.map((ticket) => ticket.ticket_id).sort()).toEqual(['TCK-1043', 'TCK-1044', 'TCK-1045']);
  });

  it('starts at TCK-1001 and defaults priority and category', async () => {
    await database.pool.query('DELETE FROM tickets');
    const ticket = await call('create_ticket', {
      contact_id: 'ct_1',
      subject: 'Hello',
      description: 'A question',
    });
    expect(ticket).toMatchObject({ ticket_id: 'TCK-1001', priority: 'normal', category: 'general' });
  });

  it('files for a visitor without a contact under their reply address, and needs one', async () => {
    const anonymous = { subject: 'Help', description: 'Something broke' };
    const filed = await call('create_ticket', { ...anonymous, requester_email: 'visitor@example.test' });
    expect(filed).toMatchObject({ status: 'new', category: 'general' });
    const { rows } = await database.pool.query(
      'SELECT account_id, requester_email FROM tickets WHERE id = $1',
      [(filed as { ticket_id: string }).ticket_id],
    );
    expect(rows).toEqual([{ account_id: null, requester_email: 'visitor@example.test' }]);
    expect((await rejectionOf(call('create_ticket', anonymous))).kind).toBe('invalid_input');
    await expect(call('create_ticket', { ...bugReport, category: 'Bug Report!' })).rejects.toThrow(/slug/);
  });

  it('is open to unverified customers and keys on contact, category and description', () => {
    const operation = ticketing.operations.create_ticket!;
    expect(operation.allowUnverified).toBe(true);
    expect(operation.idempotencyKey!({ ...bugReport })).toMatch(/^ticket:ct_1:bug:[0-9a-f]{16}$/);
  });
});

describe(`ticketing reads (${testDatabaseKind()})`, () => {
  it('get_ticket shows public comments to the agent and internal ones to humans', async () => {
    const forAgent = await call('get_ticket', { ticket_id: 'TCK-1041' });
    expect(forAgent).toMatchObject({
      id: 'TCK-1041',
      status: 'open',
      subject: 'Export stuck',
      incident: null,
    });
    expect(forAgent.comments.map((comment: { id: string }) => comment.id)).toEqual(['cm_1']);
    const forHuman = await call('get_ticket', { ticket_id: 'TCK-1041' }, maya('human'));
    expect(forHuman.comments.map((comment: { id: string }) => comment.id)).toEqual(['cm_1', 'cm_2']);
    expect((await rejectionOf(call('get_ticket', { ticket_id: 'TCK-9999' }))).kind).toBe('not_found');
  });

  it('ownership resolves the owning account, or null', async () => {
    const ownerOf = ticketing.operations.get_ticket!.ownership!.ownerOf;
    expect(await ownerOf({ ticket_id: 'TCK-1042' }, database.pool)).toBe('acc_2');
    expect(await ownerOf({ ticket_id: 'TCK-9999' }, database.pool)).toBeNull();
    expect(
      await ticketing.operations.add_comment!.ownership!.ownerOf({ ticket_id: 'TCK-1041' }, database.pool),
    ).toBe('acc_1');
  });

  it("list_tickets lists the account's own tickets, newest first, with filters", async () => {
    const all = await call('list_tickets', { account_id: 'acc_1' });
    expect(all.tickets.map((ticket: { id: string }) => ticket.id)).toEqual(['TCK-1041', 'TCK-1040', 'OLD-7']);
    const open = await call('list_tickets', { account_id: 'acc_1', open_only: true });
    expect(open.tickets.map((ticket: { id: string }) => ticket.id)).toEqual(['TCK-1041']);
    const leos = await call('list_tickets', { account_id: 'acc_1', contact_id: 'ct_1b' });
    expect(leos.tickets.map((ticket: { id: string }) => ticket.id)).toEqual(['TCK-1040']);
    expect((await call('list_tickets', { account_id: 'acc_1', contact_id: 'ct_2' })).tickets).toEqual([]);
  });

  it('search_incidents finds open incidents by words of a problem, or lists them', async () => {
    const found = await call('search_incidents', { query: 'my dashboards are broken' });
    expect(found.incidents.map((incident: { id: string }) => incident.id)).toEqual(['inc_dash']);
    expect((await call('search_incidents', { query: 'api latency' })).incidents).toEqual([]);
    const withResolved = await call('search_incidents', { query: 'api latency', only_open: false });
    expect(withResolved.incidents[0]).toMatchObject({
      id: 'inc_api',
      status: 'resolved',
      resolved_at: '2026-11-01T09:00:00.000Z',
    });
    expect(
      (await call('search_incidents', {})).incidents.map((incident: { id: string }) => incident.id),
    ).toEqual(['inc_dash']);
    expect(ticketing.operations.search_incidents).toMatchObject({ allowUnverified: true, cacheable: true });
  });

  it('check() reports row counts', async () => {
    expect(await ticketing.check(new AbortController().signal)).toEqual({
      ok: true,
      detail: '4 tickets, 1 open incidents',
    });
  });
});

describe(`ticketing.add_comment (${testDatabaseKind()})`, () => {
  it('adds a comment once, even when retried', async () => {
    const comment = await call('add_comment', { ticket_id: 'TCK-1041', body: 'It happens on Safari too.' });
    expect(comment).toMatchObject({ ticket_id: 'TCK-1041', ticket_status: 'open', already_added: false });
    const retry = await call('add_comment', { ticket_id: 'TCK-1041', body: 'It happens on Safari too.' });
    expect(retry).toMatchObject({ comment_id: comment.comment_id, already_added: true });
    const { rows } = await database.pool.query(
      `SELECT author, internal FROM ticket_comments WHERE ticket_id = 'TCK-1041' ORDER BY created_at`,
    );
    expect(rows).toEqual([
      { author: 'agent', internal: false },
      { author: 'human:ha_1', internal: true },
      { author: 'agent', internal: false },
    ]);
  });

  it('reopens a solved ticket and refuses a closed one', async () => {
    const reopened = await call('add_comment', { ticket_id: 'TCK-1040', body: 'Still not working.' });
    expect(reopened.ticket_status).toBe('open');
    const { rows } = await database.pool.query(
      `SELECT status, updated_at FROM tickets WHERE id = 'TCK-1040'`,
    );
    expect(rows[0].status).toBe('open');
    expect(new Date(rows[0].updated_at).toISOString()).toBe('2026-11-20T09:00:00.000Z');
    expect((await rejectionOf(call('add_comment', { ticket_id: 'OLD-7', body: 'Hello?' }))).kind).toBe(
      'invalid_input',
    );
  });
});
