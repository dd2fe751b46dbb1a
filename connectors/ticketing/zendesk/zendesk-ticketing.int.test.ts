import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { zendeskSeeder } from '../../../test/fakes/zendesk/seed.ts';
import { type FakeZendesk, startFakeZendesk } from '../../../test/fakes/zendesk/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { customerSession } from '../../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../../core/connector-gateway.ts';
import type { CallerSession, ConnectorDefinition } from '../../core/definition.ts';
import { ticketingPolicy } from '../policy.ts';
import { createZendeskTicketingConnector } from './index.ts';

const now = '2026-11-20T09:00:00Z';
const contacts: Record<string, { email: string; name: string }> = {
  ct_1: { email: 'maya@brightpath.io', name: 'Maya Chen' },
  ct_1b: { email: 'leo@brightpath.io', name: 'Leo Brandt' },
  ct_2: { email: 'ola@northwind.test', name: 'Ola Nordmann' },
  ct_3: { email: 'new.customer@brightpath.io', name: 'Nia New' },
};

let database: Database;
let fake: FakeZendesk;
let connector: ConnectorDefinition;
let gateway: ManagedConnectorGateway;
const world = {} as {
  maya: number;
  engineer: number;
  export: number;
  sso: number;
  old: number;
  leos: number;
  olas: number;
  dashboards: number;
  latency: number;
};
const maya = customerSession('ct_1', 'acc_1', { conversationId: 'conv_z1' });
const ticketsAtFake = (subject: string) =>
  [...fake.state.tickets.values()].filter((ticket) => ticket.subject === subject);

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeZendesk({ now });
  const seed = zendeskSeeder(fake);
  world.maya = await seed.user('Maya Chen', contacts.ct_1!.email);
  const leo = await seed.user('Leo Brandt', contacts.ct_1b!.email);
  const ola = await seed.user('Ola Nordmann', contacts.ct_2!.email);
  world.engineer = await seed.user('Erin Engineer', 'erin@lumen.example', 'agent');
  world.dashboards = await seed.ticket({
    requesterId: world.engineer,
    subject: 'Elevated error rates on dashboards in EU',
    description: 'Dashboards fail to load for some EU workspaces.',
    createdAt: '2026-11-20T07:00:00Z',
    type: 'problem',
    priority: 'urgent',
    tags: ['component_dashboards', 'sev1'],
  });
  world.latency = await seed.ticket({
    requesterId: world.engineer,
    subject: 'API latency',
    description: 'Slow API responses.',
    createdAt: '2026-11-01T07:00:00Z',
    updatedAt: '2026-11-01T09:00:00Z',
    status: 'solved',
    type: 'problem',
    tags: ['component_api'],
  });
  world.export = await seed.ticket({
    requesterId: world.maya,
    subject: 'Export stuck',
    description: 'The CSV export never finishes.',
    createdAt: '2026-11-10T10:00:00Z',
    status: 'open',
    priority: 'normal',
    type: 'incident',
    problemId: world.dashboards,
    assigneeId: world.engineer,
    tags: ['switchboard_category_bug'],
    comments: [
      { authorId: world.engineer, body: 'We are looking into it.', createdAt: '2026-11-10T11:00:00Z' },
      {
        authorId: world.engineer,
        body: 'Customer is on the legacy exporter.',
        public: false,
        createdAt: '2026-11-10T11:05:00Z',
      },
    ],
  });
  world.sso = await seed.ticket({
    requesterId: world.maya,
    subject: 'SSO question',
    description: 'How do I enable SSO?',
    createdAt: '2026-11-12T10:00:00Z',
    status: 'solved',
    priority: 'low',
  });
  world.old = await seed.ticket({
    requesterId: world.maya,
    subject: 'Old import',
    description: 'Import failed.',
    createdAt: '2025-01-05T10:00:00Z',
    status: 'closed',
  });
  world.leos = await seed.ticket({
    requesterId: leo,
    subject: 'Invoice address',
    description: 'Please change our invoice address.',
    createdAt: '2026-11-15T10:00:00Z',
  });
  world.olas = await seed.ticket({
    requesterId: ola,
    subject: 'Not yours',
    description: 'Private to Northwind.',
    createdAt: '2026-11-16T10:00:00Z',
    status: 'new',
    priority: 'high',
  });

  connector = createZendeskTicketingConnector({
    baseUrl: fake.url,
    auth: { type: 'api_token', email: fake.agent.email, apiToken: fake.agent.apiToken },
    customerOf: async (session) => (session.customer ? (contacts[session.customer.contactId] ?? null) : null),
    pageSize: 2,
    timeoutMs: 300,
  });
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [connector],
    policies: { ticketing: ticketingPolicy },
    now: () => new Date(now),
    policyCacheMs: 0,
    resilience: { retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 5 } },
  });
});
afterAll(async () => {
  await gateway?.close();
  await fake?.close();
  await database?.close();
});

const call = (operation: string, input: Record<string, unknown>, session: CallerSession = maya) =>
  gateway.callByName(session, 'ticketing', operation, input);
const dataOf = <T>(result: unknown) => (result as { status: 'ok'; data: T }).data;

describe(`the Zendesk ticketing backend through the gateway (${testDatabaseKind()})`, () => {
  it("lists the session contact's requested tickets newest first, page by page", async () => {
    fake.requests.length = 0;
    const all = await call('list_tickets', { limit: 10 });
    expect(all.status).toBe('ok');
    const tickets = dataOf<{ tickets: Array<Record<string, unknown>> }>(all).tickets;
    expect(tickets.map((ticket) => ticket.id)).toEqual([
      String(world.sso),
      String(world.export),
      String(world.old),
    ]);
    expect(tickets[1]).toEqual({
      id: String(world.export),
      subject: 'Export stuck',
      status: 'open',
      priority: 'normal',
      category: 'bug',
      contact_id: 'ct_1',
      incident_id: String(world.dashboards),
      created_at: '2026-11-10T10:00:00.000Z',
      updated_at: '2026-11-10T11:05:00.000Z',
    });
    const pages = fake.requests.filter((request) => request.operation === 'tickets.list_requested');
    expect(pages).toHaveLength(2);
    expect(pages[0]!.path).toBe(`/api/v2/users/${world.maya}/tickets/requested`);
    expect(pages[1]!.query['page[after]']).toEqual(expect.any(String));
    expect(fake.requests.find((request) => request.operation === 'users.search')?.query.query).toBe(
      'email:maya@brightpath.io',
    );
    const open = dataOf<{ tickets: Array<{ id: string }> }>(await call('list_tickets', { open_only: true }));
    expect(open.tickets.map((ticket) => ticket.id)).toEqual([String(world.export)]);
  });

  it("refuses to list another contact's tickets, and lists none for a contact unknown to Zendesk", async () => {
    expect(await call('list_tickets', { contact_id: 'ct_1b' })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    const stranger = customerSession('ct_3', 'acc_1', { conversationId: 'conv_z2' });
    expect(await call('list_tickets', {}, stranger)).toMatchObject({ status: 'ok', data: { tickets: [] } });
  });

  it('shows an own ticket with its thread, linked incident and assignee; internal notes only to a human', async () => {
    const shown = await call('get_ticket', { ticket_id: String(world.export) });
    expect(shown).toMatchObject({
      status: 'ok',
      data: {
        id: String(world.export),
        description: 'The CSV export never finishes.',
        incident: {
          id: String(world.dashboards),
          title: 'Elevated error rates on dashboards in EU',
          status: 'open',
        },
        comments: [{ author: 'Erin Engineer', body: 'We are looking into it.', internal: false }],
      },
    });
    expect(dataOf<{ comments: unknown[] }>(shown).comments).toHaveLength(1);
    const human = customerSession('ct_1', 'acc_1', { actor: 'human', conversationId: 'conv_z3' });
    const forHuman = dataOf<{ comments: Array<{ internal: boolean; body: string }> }>(
      await call('get_ticket', { ticket_id: `#${world.export}` }, human),
    );
    expect(forHuman.comments.map((comment) => [comment.body, comment.internal])).toEqual([
      ['We are looking into it.', false],
      ['Customer is on the legacy exporter.', true],
    ]);
  });

  it("refuses another requester's ticket — another account's or a colleague's — for reading and commenting", async () => {
    for (const ticketId of [world.olas, world.leos]) {
      expect(await call('get_ticket', { ticket_id: String(ticketId) })).toMatchObject({
        status: 'error',
        error: { kind: 'forbidden' },
      });
    }
    const before = fake.state.tickets.get(world.olas)!.comments.length;
    expect(await call('add_comment', { ticket_id: String(world.olas), body: 'Let me in' })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(fake.state.tickets.get(world.olas)!.comments).toHaveLength(before);
    expect(fake.requests.some((request) => request.operation === 'tickets.update')).toBe(false);
    expect(await call('get_ticket', { ticket_id: 'TCK-1042' })).toMatchObject({
      status: 'error',
      error: { kind: 'not_found' },
    });
  });

  it('finds open incidents among problem tickets, and resolved ones when asked', async () => {
    const found = await call('search_incidents', { query: 'my dashboards are broken' });
    expect(found).toMatchObject({
      status: 'ok',
      data: {
        incidents: [
          {
            id: String(world.dashboards),
            status: 'open',
            severity: 'SEV1',
            components: ['dashboards'],
            started_at: '2026-11-20T07:00:00.000Z',
            resolved_at: null,
            summary: 'Dashboards fail to load for some EU workspaces.',
          },
        ],
      },
    });
    expect(
      dataOf<{ incidents: unknown[] }>(await call('search_incidents', { query: 'api latency' })).incidents,
    ).toEqual([]);
    const resolved = await call('search_incidents', { query: 'api latency', only_open: false });
    expect(resolved).toMatchObject({
      status: 'ok',
      data: {
        incidents: [
          { id: String(world.latency), status: 'resolved', resolved_at: '2026-11-01T09:00:00.000Z' },
        ],
      },
    });
    const query = fake.requests.filter((request) => request.operation === 'search').at(-2)?.query.query;
    expect(query).toBe('type:ticket ticket_type:problem status<solved');
  });

  it('files a ticket for the verified contact once, linked to the matching incident, under our idempotency key', async () => {
    const input = {
      subject: 'Dashboards down',
      description: 'Our dashboards will not load since this morning',
      priority: 'high',
      category: 'bug',
    };
    const created = await call('create_ticket', input);
    expect(created).toMatchObject({
      status: 'ok',
      data: {
        status: 'new',
        priority: 'high',
        category: 'bug',
        subject: 'Dashboards down',
        created_at: '2026-11-20T09:00:00.000Z',
        incident: { id: String(world.dashboards), severity: 'SEV1' },
        already_exists: false,
      },
    });
    const [ticket] = ticketsAtFake('Dashboards down');
    expect(dataOf<{ ticket_id: string }>(created).ticket_id).toBe(String(ticket!.id));
    expect(ticket).toMatchObject({
      requester_id: world.maya,
      type: 'incident',
      problem_id: world.dashboards,
      tags: ['switchboard', 'switchboard_category_bug'],
    });
    expect(ticket!.comments).toMatchObject([{ body: input.description, public: true }]);
    const request = fake.requests.find((candidate) => candidate.operation === 'tickets.create');
    expect(request?.idempotencyKey).toMatch(
      /^conv_z1:ticketing\.create_ticket:ticket:ct_1:bug:[0-9a-f]{16}$/,
    );
    expect(await call('create_ticket', input)).toMatchObject({ status: 'ok', replayed: true });
    expect(ticketsAtFake('Dashboards down')).toHaveLength(1);
  });

  it('makes one ticket when the answers are lost after Zendesk created it (retried under the same key)', async () => {
    fake.failNext('lost_response', { operation: 'tickets.create', times: 2 });
    const created = await call('create_ticket', {
      subject: 'Billing page blank',
      description: 'The billing page shows nothing at all',
      category: 'bug',
    });
    expect(created).toMatchObject({ status: 'ok', data: { already_exists: true, incident: null } });
    expect(ticketsAtFake('Billing page blank')).toHaveLength(1);
    const attempts = fake.requests.filter(
      (request) =>
        request.operation === 'tickets.create' &&
        request.body !== null &&
        (request.body as { ticket: { subject: string } }).ticket.subject === 'Billing page blank',
    );
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((attempt) => attempt.idempotencyKey)).size).toBe(1);
  });

  it("files an anonymous visitor's ticket under the given address, marked unverified, but never for a contact", async () => {
    const visitor: CallerSession = { conversationId: 'conv_z4', actor: 'agent', customer: null };
    const created = await call(
      'create_ticket',
      {
        requester_email: 'visitor@example.test',
        subject: 'Help',
        description: 'Broken',
        category: 'general',
      },
      visitor,
    );
    expect(created).toMatchObject({ status: 'ok', data: { status: 'new', category: 'general' } });
    const [ticket] = ticketsAtFake('Help');
    const requester = fake.state.users.get(ticket!.requester_id)!;
    expect(requester).toMatchObject({ email: 'visitor@example.test', role: 'end-user' });
    expect(ticket!.tags).toContain('switchboard_unverified_requester');
    const spoofed = await call(
      'create_ticket',
      { contact_id: 'ct_1', subject: 'Help', description: 'Again' },
      visitor,
    );
    expect(spoofed).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
  });

  it('adds a public comment as the requester, reopening a solved ticket, once under a lost answer', async () => {
    fake.failNext('lost_response', { operation: 'tickets.update' });
    const added = await call('add_comment', { ticket_id: String(world.sso), body: 'Still not working.' });
    expect(added).toMatchObject({
      status: 'ok',
      data: { ticket_id: String(world.sso), ticket_status: 'open', already_added: true },
    });
    const sso = fake.state.tickets.get(world.sso)!;
    expect(sso.status).toBe('open');
    const same = sso.comments.filter((comment) => comment.body === 'Still not working.');
    expect(same).toEqual([expect.objectContaining({ author_id: world.maya, public: true })]);
    expect(dataOf<{ comment_id: string }>(added).comment_id).toBe(String(same[0]!.id));
    const update = fake.requests.find((request) => request.operation === 'tickets.update');
    expect(update?.body).toMatchObject({ ticket: { safe_update: true, status: 'open' } });
  });

  it('adds a comment and reports it new; refuses a closed ticket', async () => {
    const added = await call('add_comment', {
      ticket_id: String(world.export),
      body: 'It happens on Safari too.',
    });
    expect(added).toMatchObject({ status: 'ok', data: { ticket_status: 'open', already_added: false } });
    expect(await call('add_comment', { ticket_id: String(world.old), body: 'Hello?' })).toMatchObject({
      status: 'error',
      error: { kind: 'invalid_input', message: expect.stringContaining('closed') },
    });
  });

  it('retries through a rate limit and a hang, and reports a Zendesk outage as transient', async () => {
    fake.failNext(429, { retryAfter: 0, operation: 'tickets.show' });
    fake.failNext('hang', { operation: 'tickets.show' });
    expect(await call('get_ticket', { ticket_id: String(world.export) })).toMatchObject({ status: 'ok' });
    fake.failNext(500, { operation: 'tickets.show', times: 3 });
    expect(await call('get_ticket', { ticket_id: String(world.export) })).toMatchObject({
      status: 'error',
      error: { kind: 'transient' },
    });
  });

  it('check() names the API user, and fails for refused credentials', async () => {
    const signal = new AbortController().signal;
    expect(await connector.check(signal)).toEqual({
      ok: true,
      detail: 'Zendesk reachable as Switchboard Bot (agent)',
    });
    const refused = createZendeskTicketingConnector({
      baseUrl: fake.url,
      auth: { type: 'oauth', accessToken: 'revoked' },
      customerOf: async () => null,
    });
    expect(await refused.check(signal)).toEqual({
      ok: false,
      detail: 'Zendesk did not accept the credentials (it answered as the anonymous user)',
    });
  });
});
