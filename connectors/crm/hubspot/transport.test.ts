import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotSeeder } from '../../../test/fakes/hubspot/seed.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../../test/fakes/hubspot/server.ts';
import { ConnectorError } from '../../core/errors.ts';
import { createHubSpotTransport, type HubSpotTransportOptions } from './transport.ts';

let fake: FakeHubSpot;
let company: string;
const contacts: string[] = [];

beforeAll(async () => {
  fake = await startFakeHubSpot();
  const seed = hubspotSeeder(fake);
  company = await seed.company({ name: 'Pager Co' });
  for (let index = 0; index < 5; index++) {
    contacts.push(await seed.contact({ email: `pager${index}@example.test`, lastname: 'Pager' }, company));
  }
});
afterAll(async () => {
  await fake?.close();
});

const transport = (options: Partial<HubSpotTransportOptions> = {}) =>
  createHubSpotTransport({ token: fake.token, baseUrl: fake.url, ...options });

const failure = async (promise: Promise<unknown>): Promise<ConnectorError> => {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
};

describe('the HubSpot transport', () => {
  it('reads every page of a search with paging.next.after', async () => {
    fake.requests.length = 0;
    const found = await transport({ pageSize: 2 }).search(
      'contacts',
      [{ propertyName: 'lastname', operator: 'EQ', value: 'Pager' }],
      ['email'],
    );
    expect(found.map((record) => record.id)).toEqual(contacts);
    const pages = fake.requests.filter((request) => request.operation === 'contacts.search');
    expect(pages.map((request) => (request.body as { after?: string }).after)).toEqual([undefined, '2', '4']);
  });

  it('reads every page of an association listing', async () => {
    const rows = await transport({ pageSize: 2 }).associations('companies', company, 'contacts');
    expect(rows.map((row) => row.toObjectId)).toEqual(contacts);
    expect(rows[0]!.associationTypes.map((type) => type.typeId).sort()).toEqual([2, 280]);
  });

  it('asks the token provider for each request', async () => {
    let asked = 0;
    const provided = transport({
      token: async () => {
        asked++;
        return fake.token;
      },
    });
    await provided.read('contacts', contacts[0]!, ['email']);
    await provided.read('contacts', contacts[1]!, ['email']);
    expect(asked).toBe(2);
  });

  it('maps a refused token to auth_expired, retryable only with a token manager, never echoing the token', async () => {
    const stale = await failure(transport({ token: 'pat-na1-wrong' }).read('contacts', contacts[0]!, []));
    expect(stale).toMatchObject({ kind: 'auth_expired', retryable: false });
    expect(stale.message).not.toContain('pat-na1-wrong');
    let refreshed = 0;
    fake.failNext(401);
    const expired = await failure(
      transport({ onUnauthorized: () => refreshed++ }).read('contacts', contacts[0]!, []),
    );
    expect(expired).toMatchObject({ kind: 'auth_expired', retryable: true });
    expect(refreshed).toBe(1);
  });

  it('maps 429 to rate_limited: Retry-After when sent, a second otherwise, the daily limit not retried', async () => {
    fake.failNext(429, { retryAfter: 7 });
    expect(await failure(transport().read('contacts', contacts[0]!, []))).toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: 7,
      retryable: true,
    });
    fake.failNext(429);
    expect(await failure(transport().read('contacts', contacts[0]!, []))).toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: 1,
      message: expect.stringContaining('TEN_SECONDLY_ROLLING'),
    });
    fake.failNext(429, { policyName: 'DAILY' });
    expect(await failure(transport().read('contacts', contacts[0]!, []))).toMatchObject({
      kind: 'rate_limited',
      retryable: false,
    });
  });

  it('goes through the SDK, which neither retries nor rate-limits on its own (the pipeline does)', async () => {
    fake.requests.length = 0;
    // The SDK's RetryDecorator would retry a 5xx after 200 ms and a TEN_SECONDLY_ROLLING 429 after 10 s.
    fake.failNext(500);
    expect((await failure(transport().read('contacts', contacts[0]!, []))).kind).toBe('transient');
    fake.failNext(429);
    expect((await failure(transport().read('contacts', contacts[0]!, []))).kind).toBe('rate_limited');
    expect(fake.requests.map((request) => request.status)).toEqual([500, 429]);
    // No limiter queueing: 20 reads at once are all in flight together.
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, () => transport().read('contacts', contacts[0]!, ['email'])),
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    // Arrays go as HubSpot takes them from the SDK: `properties` repeated in the query.
    fake.requests.length = 0;
    await transport().read('contacts', contacts[0]!, ['email', 'lastname']);
    expect(fake.requests[0]!.query).toMatchObject({ properties: 'lastname' });
  });

  it('aborts a hanging request when the caller aborts, without waiting for the timeout', async () => {
    fake.failNext('hang');
    const controller = new AbortController();
    const pending = failure(
      transport({ timeoutMs: 30_000 }).read('contacts', contacts[0]!, [], controller.signal),
    );
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    expect(await pending).toMatchObject({ kind: 'transient', message: expect.stringContaining('aborted') });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('maps 5xx, a reset and a timeout to transient', async () => {
    fake.failNext(500);
    expect((await failure(transport().read('contacts', contacts[0]!, []))).kind).toBe('transient');
    fake.failNext('lost_response');
    expect((await failure(transport().read('contacts', contacts[0]!, []))).kind).toBe('transient');
    fake.failNext('hang');
    const timedOut = await failure(transport({ timeoutMs: 200 }).read('contacts', contacts[0]!, []));
    expect(timedOut).toMatchObject({ kind: 'transient', message: expect.stringContaining('200 ms') });
  });

  it('maps a malformed body and an unexpected shape to permanent', async () => {
    fake.failNext('malformed');
    expect((await failure(transport().read('contacts', contacts[0]!, []))).kind).toBe('permanent');
    // A record whose createdAt HubSpot would never leave out.
    fake.state.records.get('contacts')!.get(contacts[4]!)!.createdAt = undefined as unknown as string;
    const shape = await failure(transport().read('contacts', contacts[4]!, []));
    expect(shape).toMatchObject({ kind: 'permanent', message: expect.stringContaining('createdAt') });
    fake.state.records.get('contacts')!.get(contacts[4]!)!.createdAt = new Date().toISOString();
  });

  it('maps 404 to not_found, 400 to invalid_input and 409 to conflict', async () => {
    expect((await failure(transport().read('contacts', '999999', []))).kind).toBe('not_found');
    const unknownProperty = await failure(transport().updateContact(contacts[0]!, { no_such_property: 'x' }));
    expect(unknownProperty).toMatchObject({
      kind: 'invalid_input',
      message: expect.stringContaining('no_such_property'),
    });
    const duplicate = await failure(
      transport().updateContact(contacts[0]!, { email: 'pager1@example.test' }),
    );
    expect(duplicate).toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining('Contact already exists'),
    });
  });

  it('creates a note with its associations and reads it back in a batch', async () => {
    const note = await transport().createNote(
      { hs_note_body: 'hello', hs_timestamp: '2026-11-20T09:00:00.000Z' },
      [{ toId: contacts[0]!, typeId: 202 }],
    );
    const rows = await transport().associations('contacts', contacts[0]!, 'notes');
    expect(rows).toEqual([
      { toObjectId: note.id, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 201, label: null }] },
    ]);
    const [read] = await transport().batchRead('notes', [note.id, '424242'], ['hs_note_body']);
    expect(read?.properties.hs_note_body).toBe('hello');
  });
});
