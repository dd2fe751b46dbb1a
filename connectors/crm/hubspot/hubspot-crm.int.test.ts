import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { hubspotSeeder } from '../../../test/fakes/hubspot/seed.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../../test/fakes/hubspot/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { customerSession, invoke, systemSession, testContext } from '../../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../../core/connector-gateway.ts';
import type { ConnectorDefinition } from '../../core/definition.ts';
import { crmPolicy } from '../policy.ts';
import { createHubSpotCrmConnector } from './index.ts';

const now = new Date('2026-11-20T09:00:00Z');
/** Switchboard's directory: our contacts and accounts, by id and by email. */
const directory = [
  { contactId: 'ct_1', accountId: 'acc_1', email: 'maya@brightpath.io' },
  { contactId: 'ct_2', accountId: 'acc_2', email: 'ola@northwind.test' },
  // Our contact in another account whose address HubSpot files under Brightpath (tagged acc_1).
  { contactId: 'ct_9', accountId: 'acc_9', email: 'eve@brightpath.io' },
];

let database: Database;
let fake: FakeHubSpot;
let gateway: ManagedConnectorGateway;
let connector: ConnectorDefinition;
const hs = {} as { maya: string; ola: string; brightpath: string };
const maya = customerSession('ct_1', 'acc_1', { tier: 'pro', conversationId: 'conv_h1' });
const eve = customerSession('ct_9', 'acc_9', { conversationId: 'conv_h9' });
const human = customerSession('ct_1', 'acc_1', { actor: 'human', conversationId: 'conv_h1' });

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeHubSpot({ now: () => new Date(now) });
  const seed = hubspotSeeder(fake);
  await seed.property('contacts', 'switchboard_contact_id');
  for (const name of ['switchboard_tier', 'switchboard_region', 'switchboard_account_id'])
    await seed.property('companies', name);
  await seed.property('notes', 'switchboard_idempotency_key');
  fake.addOwner({ id: '501', email: 'dana@lumen.example', firstName: 'Dana', lastName: 'Owner' });
  hs.brightpath = await seed.company({
    name: 'Brightpath',
    switchboard_tier: 'pro',
    switchboard_region: 'EU',
    switchboard_account_id: 'acc_1',
    hubspot_owner_id: '501',
  });
  const northwind = await seed.company({
    name: 'Northwind',
    switchboard_tier: 'starter',
    switchboard_region: 'NA',
  });
  hs.maya = await seed.contact(
    {
      email: 'maya@brightpath.io',
      firstname: 'Maya',
      lastname: 'Chen',
      phone: '+49 30 1234',
      jobtitle: 'CTO',
      hs_timezone: 'europe_slash_berlin',
    },
    hs.brightpath,
  );
  await seed.contact({ email: 'eve@brightpath.io', firstname: 'Eve' }, hs.brightpath);
  await seed.contact({ email: 'sam@brightpath.io', firstname: 'Sam' }, hs.brightpath);
  hs.ola = await seed.contact(
    { email: 'ola@northwind.test', firstname: 'Ola', lastname: 'Nordmann' },
    northwind,
  );
  await seed.engagement('notes', hs.maya, {
    hs_note_body: '<p>Prefers email</p>',
    hs_timestamp: '2026-11-01T10:00:00Z',
  });
  await seed.engagement('calls', hs.maya, {
    hs_call_title: 'Onboarding call',
    hs_call_body: 'Walked through SSO',
    hs_timestamp: '2026-11-03T10:00:00Z',
    hubspot_owner_id: '501',
  });
  await seed.engagement('emails', hs.maya, {
    hs_email_subject: 'Invoice question',
    hs_email_text: 'Why was I charged twice?',
    hs_email_direction: 'INCOMING_EMAIL',
    hs_timestamp: '2026-11-05T10:00:00Z',
  });
  await seed.engagement('meetings', hs.maya, {
    hs_meeting_title: 'QBR',
    hs_timestamp: '2026-11-04T10:00:00Z',
  });
  await seed.engagement('calls', hs.ola, {
    hs_call_title: "Ola's call",
    hs_timestamp: '2026-11-06T10:00:00Z',
  });

  connector = createHubSpotCrmConnector({
    token: fake.token,
    baseUrl: fake.url,
    timeoutMs: 300,
    pageSize: 2,
    customerOf: async (session) => {
      const entry = directory.find((candidate) => candidate.contactId === session.customer?.contactId);
      return entry ? { email: entry.email } : null;
    },
    contactOfEmail: async (email) => directory.find((entry) => entry.email === email.toLowerCase()) ?? null,
  });
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [connector],
    policies: { crm: crmPolicy },
    now: () => new Date(now),
    policyCacheMs: 0,
    resilience: { retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 } },
  });
});
afterAll(async () => {
  await gateway?.close();
  await fake?.close();
  await database?.close();
});

const call = (operation: string, input: Record<string, unknown>, session = maya) =>
  gateway.callByName(session, 'crm', operation, input);
const notesWithBody = (body: string) =>
  fake.records('notes').filter((note) => note.properties.hs_note_body === body);

describe(`the HubSpot CRM backend through the gateway (${testDatabaseKind()})`, () => {
  it("reads the session's contact under our ids, the time zone as an IANA name", async () => {
    const result = await call('get_contact', {});
    expect(result.status).toBe('ok');
    // updated_at is not in the policy's allow-list: the gateway drops it.
    expect((result as { data: unknown }).data).toEqual({
      id: 'ct_1',
      account_id: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      phone: '+49 30 1234',
      title: 'CTO',
      timezone: 'Europe/Berlin',
    });
  });

  it('reads the account from the primary company, the owner from the owners API, the owner email hidden', async () => {
    fake.requests.length = 0;
    const result = await call('get_account', {});
    expect(result).toMatchObject({
      status: 'ok',
      data: {
        id: 'acc_1',
        name: 'Brightpath',
        tier: 'pro',
        region: 'EU',
        owner_name: 'Dana Owner',
      },
    });
    // contact_count and owner_email are not in the policy's allow-list: read them without the gateway.
    const direct = await invoke(
      connector.operations.get_account!,
      { account_id: 'acc_1' },
      testContext(maya, now),
    );
    expect(direct).toMatchObject({ contact_count: 3, owner_email: 'dana@lumen.example' });
    // Three contacts at two a page: the count follows paging.next.after.
    const pages = fake.requests.filter((request) => request.operation === 'companies.associations.contacts');
    expect(pages.map((request) => request.query.after)).toEqual([undefined, '2', undefined, '2']);
    expect((result as { data: Record<string, unknown> }).data).not.toHaveProperty('owner_email');
    const request = fake.requests.findLast((candidate) => candidate.operation === 'companies.batchRead');
    expect((request!.body as { properties: string[] }).properties.sort()).toEqual(
      ['hubspot_owner_id', 'name', 'switchboard_account_id', 'switchboard_region', 'switchboard_tier'].sort(),
    );
  });

  it('resolves an email for the system only, with our ids and the tier', async () => {
    expect(await call('find_contact_by_email', { email: 'Maya@Brightpath.io' }, systemSession)).toMatchObject(
      {
        status: 'ok',
        data: { contact: { id: 'ct_1', account_id: 'acc_1', account_tier: 'pro' } },
      },
    );
    const nobody = await call('find_contact_by_email', { email: 'nobody@example.test' }, systemSession);
    expect(nobody.status).toBe('ok');
    // The policy's field filter keeps only the allow-listed fields of a contact; of a null one, nothing.
    expect((nobody as { data: { contact?: unknown } }).data.contact ?? null).toBeNull();
    expect(fake.requests.at(-1)?.operation).not.toBe('contacts.search'); // not in our directory: HubSpot not asked
    expect(await call('find_contact_by_email', { email: 'maya@brightpath.io' })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
  });

  it('looks an address up in HubSpot itself for identity provisioning, for the system only', async () => {
    // Eve is in HubSpot but not in our directory: HubSpot's own record and company answer.
    expect(await call('lookup_identity', { email: 'eve@brightpath.io' }, systemSession)).toMatchObject({
      status: 'ok',
      data: {
        entry: {
          contact: {
            ref: expect.stringMatching(/^contacts\//),
            contact_id: null,
            name: 'Eve',
            email: 'eve@brightpath.io',
          },
          account: {
            ref: `companies/${hs.brightpath}`,
            account_id: 'acc_1',
            name: 'Brightpath',
            tier: 'pro',
            region: 'EU',
          },
        },
      },
    });
    const nobody = await call('lookup_identity', { email: 'nobody@example.test' }, systemSession);
    expect(nobody.status).toBe('ok');
    expect((nobody as { data: { entry?: unknown } }).data.entry ?? null).toBeNull();
    expect(await call('lookup_identity', { email: 'eve@brightpath.io' })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
  });

  it("lists the contact's engagements of every type newest first, notes only for a human", async () => {
    fake.requests.length = 0;
    const agent = await call('interaction_history', {});
    expect(agent.status).toBe('ok');
    const items = (agent as { data: { items: Array<{ kind: string; body: string; author: string }> } }).data
      .items;
    expect(items.map((item) => item.kind)).toEqual(['email', 'meeting', 'call']);
    expect(items[0]).toMatchObject({
      author: 'customer',
      body: 'Invoice question\nWhy was I charged twice?',
    });
    expect(items[2]).toMatchObject({
      author: 'hubspot_owner:501',
      body: 'Onboarding call\nWalked through SSO',
    });
    expect(fake.requests.some((request) => request.operation === 'contacts.associations.notes')).toBe(false);
    const forHuman = await call('interaction_history', { limit: 3 }, human);
    expect(forHuman).toMatchObject({ status: 'ok' });
    const humanItems = (forHuman as { data: { items: Array<{ kind: string; internal: boolean }> } }).data
      .items;
    expect(humanItems.map((item) => item.kind)).toEqual(['email', 'meeting', 'call']);
    const all = await call('interaction_history', { limit: 10 }, human);
    const kinds = (all as { data: { items: Array<{ kind: string; internal: boolean; body: string }> } }).data
      .items;
    expect(kinds.at(-1)).toMatchObject({ kind: 'note', internal: true, body: 'Prefers email' });
  });

  it("refuses another customer's contact and a company tagged with another account (forbidden)", async () => {
    expect(await call('get_contact', { contact_id: 'ct_2' })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(await call('get_account', { account_id: 'acc_2' })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(await call('get_account', {}, eve)).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(await call('add_note', { body: 'not yours' }, eve)).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(await call('add_note', { body: 'for Ola', contact_id: 'ct_2' })).toMatchObject({
      status: 'error',
      error: { kind: 'forbidden' },
    });
    expect(notesWithBody('not yours')).toHaveLength(0);
    expect(notesWithBody('for Ola')).toHaveLength(0);
  });

  it('updates only the changed fields, mapped to HubSpot properties', async () => {
    const result = await call('update_contact', {
      name: 'Maya Chen-Berg',
      phone: '+49 30 1234',
      timezone: 'America/New_York',
    });
    expect(result).toMatchObject({
      status: 'ok',
      data: {
        changed_fields: ['name', 'timezone'],
        previous: { name: 'Maya Chen', timezone: 'Europe/Berlin' },
        contact: { id: 'ct_1', name: 'Maya Chen-Berg', timezone: 'America/New_York' },
      },
    });
    const record = fake.state.records.get('contacts')!.get(hs.maya)!;
    expect(record.properties).toMatchObject({
      firstname: 'Maya',
      lastname: 'Chen-Berg',
      hs_timezone: 'america_slash_new_york',
    });
    const patch = fake.requests.findLast((request) => request.operation === 'contacts.update');
    expect(patch?.body).toEqual({
      properties: { firstname: 'Maya', lastname: 'Chen-Berg', hs_timezone: 'america_slash_new_york' },
    });
  });

  it("refuses an email that is another HubSpot contact's (conflict) and changes nothing", async () => {
    expect(await call('update_contact', { email: 'ola@northwind.test' })).toMatchObject({
      status: 'error',
      error: { kind: 'conflict' },
    });
    expect(fake.state.records.get('contacts')!.get(hs.maya)!.properties.email).toBe('maya@brightpath.io');
  });

  it('adds one note on the contact and its company, the repeated call replayed', async () => {
    const first = await call('add_note', { body: 'Refunded the duplicate charge.' });
    expect(first).toMatchObject({
      status: 'ok',
      data: { account_id: 'acc_1', already_added: false, created_at: now.toISOString() },
    });
    const again = await call('add_note', { body: 'Refunded the duplicate charge.' });
    expect(again).toMatchObject({ status: 'ok', replayed: true });
    const notes = notesWithBody('Refunded the duplicate charge.');
    expect(notes).toHaveLength(1);
    expect((first as { data: { note_id: string } }).data.note_id).toBe(`notes/${notes[0]!.id}`);
    expect(notes[0]!.properties.switchboard_idempotency_key).toMatch(/^conv_h1:crm\.add_note:note:acc_1:/);
    const targets = fake.state.associations
      .filter((edge) => edge.from.type === 'notes' && edge.from.id === notes[0]!.id)
      .map((edge) => [edge.to.type, edge.to.id, edge.typeId]);
    expect(targets).toEqual([
      ['contacts', hs.maya, 202],
      ['companies', hs.brightpath, 190],
    ]);
  });

  it('adds one note when HubSpot created it and the answers were lost (the retry finds it by its key)', async () => {
    fake.failNext('lost_response', { operation: 'notes.create' });
    const result = await call('add_note', { body: 'Callback booked for Tuesday.' });
    expect(result).toMatchObject({ status: 'ok', data: { already_added: true } });
    expect(notesWithBody('Callback booked for Tuesday.')).toHaveLength(1);
    const creates = fake.requests.filter(
      (request) =>
        request.operation === 'notes.create' &&
        (request.body as { properties: { hs_note_body: string } }).properties.hs_note_body ===
          'Callback booked for Tuesday.',
    );
    expect(creates).toHaveLength(1);
  });

  it('retries 5xx, a rate limit and a hang, and gives up on the daily limit and a malformed body', async () => {
    fake.failNext(500, { operation: 'contacts.search' });
    fake.failNext(429, { operation: 'companies.batchRead', retryAfter: 0 });
    const ola = customerSession('ct_2', 'acc_2', { conversationId: 'conv_h2' });
    const account = { status: 'ok', data: { id: 'acc_2', name: 'Northwind', owner_name: null } };
    expect(await call('get_account', {}, ola)).toMatchObject(account);
    fake.failNext('hang', { operation: 'companies.associations.contacts' });
    expect(await call('get_account', {}, ola)).toMatchObject(account);
    expect(
      fake.requests.filter((request) => request.operation === 'companies.associations.contacts').slice(-2),
    ).toMatchObject([{ status: 0 }, { status: 200 }]);
    fake.failNext(429, { policyName: 'DAILY' });
    expect(await call('get_contact', {})).toMatchObject({ status: 'error', error: { kind: 'rate_limited' } });
    fake.failNext('malformed');
    expect(await call('get_contact', {})).toMatchObject({ status: 'error', error: { kind: 'permanent' } });
  });
});
