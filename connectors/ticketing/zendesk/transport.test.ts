import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { zendeskSeeder } from '../../../test/fakes/zendesk/seed.ts';
import { type FakeZendesk, startFakeZendesk } from '../../../test/fakes/zendesk/server.ts';
import { ConnectorError } from '../../core/errors.ts';
import { createZendeskTransport, type ZendeskAuth } from './transport.ts';

let fake: FakeZendesk;
let requester: number;
let tickets: number[];

beforeAll(async () => {
  fake = await startFakeZendesk({ now: '2026-11-20T09:00:00Z' });
  const seed = zendeskSeeder(fake);
  requester = await seed.user('Pat Pager', 'pat@pager.test');
  tickets = [];
  for (let index = 0; index < 5; index++) {
    tickets.push(
      await seed.ticket({
        requesterId: requester,
        subject: `Ticket ${index}`,
        description: `Report ${index}`,
        createdAt: `2026-11-0${index + 1}T10:00:00Z`,
      }),
    );
  }
});
afterAll(async () => {
  await fake?.close();
});

const apiToken = (): ZendeskAuth => ({
  type: 'api_token',
  email: fake.agent.email,
  apiToken: fake.agent.apiToken,
});
const transport = (options: { auth?: ZendeskAuth; timeoutMs?: number; pageSize?: number } = {}) =>
  createZendeskTransport({ baseUrl: fake.url, auth: options.auth ?? apiToken(), ...options });

const failure = async (promise: Promise<unknown>): Promise<ConnectorError> => {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
};

describe('the Zendesk transport', () => {
  it('reads every page of requested tickets with page[after], newest first', async () => {
    fake.requests.length = 0;
    const listed = await transport({ pageSize: 2 }).listRequestedTickets(requester, () => false);
    expect(listed.map((ticket) => ticket.id)).toEqual([...tickets].reverse());
    const pages = fake.requests.filter((request) => request.operation === 'tickets.list_requested');
    expect(pages.map((request) => [request.query['page[size]'], request.query.sort])).toEqual([
      ['2', '-id'],
      ['2', '-id'],
      ['2', '-id'],
    ]);
    expect(pages[0]!.query['page[after]']).toBeUndefined();
    expect(pages[1]!.query['page[after]']).toEqual(expect.any(String));
    expect(pages.every((request) => request.auth === 'api_token')).toBe(true);
  });

  it('stops paging once the caller has enough', async () => {
    fake.requests.length = 0;
    const listed = await transport({ pageSize: 2 }).listRequestedTickets(
      requester,
      (sofar) => sofar.length >= 3,
    );
    expect(listed).toHaveLength(4);
    expect(fake.requests.filter((request) => request.operation === 'tickets.list_requested')).toHaveLength(2);
  });

  it('reads who-am-I as the anonymous user when the credentials are refused (Zendesk answers 200 there)', async () => {
    const me = await transport({
      auth: { type: 'api_token', email: fake.agent.email, apiToken: 'nope' },
    }).me();
    expect(me).toMatchObject({ id: null, role: 'end-user' });
  });

  it('reads search results page by page (offset pagination, the only kind search has)', async () => {
    fake.requests.length = 0;
    const found = await transport({ pageSize: 2 }).searchTickets('type:ticket requester:pat@pager.test');
    expect(found.map((ticket) => ticket.id)).toEqual([...tickets].reverse());
    const pages = fake.requests.filter((request) => request.operation === 'search');
    expect(
      pages.map((request) => [request.query.page, request.query.per_page, request.query.sort_by]),
    ).toEqual([
      ['1', '2', 'created_at'],
      ['2', '2', 'created_at'],
      ['3', '2', 'created_at'],
    ]);
  });

  it('signs in with an OAuth bearer token too', async () => {
    const me = await transport({
      auth: { type: 'oauth', accessToken: async () => fake.agent.oauthToken },
    }).me();
    expect(me).toMatchObject({ id: fake.agent.id, role: 'agent' });
    expect(fake.requests.at(-1)?.auth).toBe('oauth');
  });

  it('maps a refused API token to auth_expired without retrying, and never echoes the token', async () => {
    const error = await failure(
      transport({
        auth: { type: 'api_token', email: fake.agent.email, apiToken: 'wrong-token-0000' },
      }).showTicket(tickets[0]!),
    );
    expect(error).toMatchObject({ kind: 'auth_expired', retryable: false });
    expect(error.message).not.toContain('wrong-token-0000');
  });

  it('maps a refused OAuth token to a retryable auth_expired after asking for a refresh', async () => {
    const onUnauthorized = vi.fn();
    const error = await failure(
      transport({ auth: { type: 'oauth', accessToken: 'expired', onUnauthorized } }).showTicket(tickets[0]!),
    );
    expect(error).toMatchObject({ kind: 'auth_expired', retryable: true });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('maps 429 to rate_limited with Retry-After', async () => {
    fake.failNext(429, { retryAfter: 7 });
    const error = await failure(transport().showTicket(tickets[0]!));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 7, retryable: true });
  });

  it('maps 5xx, a lost connection and a timeout to transient', async () => {
    fake.failNext(500);
    expect((await failure(transport().showTicket(tickets[0]!))).kind).toBe('transient');
    fake.failNext(503, { retryAfter: 3 });
    expect(await failure(transport().showTicket(tickets[0]!))).toMatchObject({
      kind: 'transient',
      retryAfterSeconds: 3,
    });
    fake.failNext('lost_response');
    expect((await failure(transport().showTicket(tickets[0]!))).kind).toBe('transient');
    fake.failNext('hang');
    const timedOut = await failure(transport({ timeoutMs: 200 }).showTicket(tickets[0]!));
    expect(timedOut).toMatchObject({ kind: 'transient', message: expect.stringContaining('200 ms') });
  });

  it('maps a malformed body and an unexpected shape to permanent', async () => {
    fake.failNext('malformed');
    expect((await failure(transport().showTicket(tickets[0]!))).kind).toBe('permanent');
    const odd = fake.state.tickets.get(tickets[4]!)!;
    (odd as { status: string }).status = 'archived_somehow';
    const error = await failure(transport().showTicket(odd.id));
    expect(error).toMatchObject({ kind: 'permanent', message: expect.stringContaining('ticket.status') });
    odd.status = 'open';
  });

  it('maps 404 to not_found, 422 to invalid_input, 403 to permanent and 409 to a retryable conflict', async () => {
    expect((await failure(transport().showTicket(999_999))).kind).toBe('not_found');
    const blank = await failure(transport().createTicket({ subject: 'No description' }, undefined));
    expect(blank).toMatchObject({
      kind: 'invalid_input',
      message: expect.stringContaining('Description: cannot be blank'),
    });
    fake.failNext(403);
    expect((await failure(transport().me())).kind).toBe('permanent');
    const stale = await failure(
      transport().updateTicket(tickets[0]!, {
        comment: { body: 'late', public: true },
        safe_update: true,
        updated_stamp: '2020-01-01T00:00:00Z',
      }),
    );
    expect(stale).toMatchObject({ kind: 'conflict', retryable: true });
  });

  it('replays a create under the same Idempotency-Key and refuses the key with another body', async () => {
    const body = { subject: 'Printer', comment: { body: 'On fire', public: true }, requester_id: requester };
    const first = await transport().createTicket(body, 'conv_1:ticketing.create_ticket:key-1');
    const again = await transport().createTicket(body, 'conv_1:ticketing.create_ticket:key-1');
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ ticket: first.ticket, replayed: true });
    expect([...fake.state.tickets.values()].filter((ticket) => ticket.subject === 'Printer')).toHaveLength(1);
    const other = await failure(
      transport().createTicket({ ...body, subject: 'Scanner' }, 'conv_1:ticketing.create_ticket:key-1'),
    );
    expect(other.kind).toBe('conflict');
    expect(fake.requests.at(-1)?.idempotencyKey).toBe('conv_1:ticketing.create_ticket:key-1');
  });

  it('sends a key longer than Zendesk takes as its hash', async () => {
    const long = `conv_${'x'.repeat(300)}`;
    await transport().createTicket(
      { subject: 'Long key', comment: { body: 'Hello', public: true }, requester_id: requester },
      long,
    );
    expect(fake.requests.at(-1)?.idempotencyKey).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
