import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zendeskSeeder } from './seed.ts';
import { type FakeZendesk, startFakeZendesk } from './server.ts';

let fake: FakeZendesk;
let requester: number;

beforeAll(async () => {
  fake = await startFakeZendesk({ now: '2026-11-20T09:00:00Z' });
  requester = await zendeskSeeder(fake).user('Pat', 'pat@example.test');
});
afterAll(async () => {
  await fake?.close();
});

const basic = () =>
  `Basic ${Buffer.from(`${fake.agent.email}/token:${fake.agent.apiToken}`).toString('base64')}`;
// biome-ignore lint/suspicious/noExplicitAny: the tests read Zendesk's JSON freely
type Json = Record<string, any>;
async function api(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(path.startsWith('http') ? path : `${fake.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: basic(), 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Json,
  };
}

describe('the fake Zendesk API', () => {
  it("answers 401 with Zendesk's body without valid credentials, and the anonymous user on /users/me", async () => {
    const refused = await api('/api/v2/tickets/1.json', { headers: { authorization: 'Bearer nope' } });
    expect(refused).toMatchObject({ status: 401, body: { error: "Couldn't authenticate you" } });
    const password = `Basic ${Buffer.from(`${fake.agent.email}:${fake.agent.apiToken}`).toString('base64')}`;
    expect((await api('/api/v2/search.json?query=x', { headers: { authorization: password } })).status).toBe(
      401,
    );
    const me = await api('/api/v2/users/me.json', { headers: { authorization: 'Bearer nope' } });
    expect(me).toMatchObject({ status: 200, body: { user: { id: null, name: 'Anonymous user' } } });
  });

  it('answers a missing record and an invalid one in Zendesk error shapes', async () => {
    expect(await api('/api/v2/tickets/424242')).toMatchObject({
      status: 404,
      body: { error: 'RecordNotFound', description: 'Not found' },
    });
    const invalid = await api('/api/v2/tickets', { method: 'POST', body: { ticket: { subject: 'x' } } });
    expect(invalid).toMatchObject({
      status: 422,
      body: {
        error: 'RecordInvalid',
        details: { description: [{ description: 'Description: cannot be blank' }] },
      },
    });
  });

  it('pages with page[size] and links.next until meta.has_more is false', async () => {
    const seed = zendeskSeeder(fake);
    for (const day of ['01', '02', '03']) {
      await seed.ticket({
        requesterId: requester,
        subject: `Day ${day}`,
        description: 'x',
        createdAt: `2026-11-${day}T08:00:00Z`,
      });
    }
    const seen: string[] = [];
    let next: string | null = `/api/v2/users/${requester}/tickets/requested.json?page[size]=2&sort=-id`;
    while (next) {
      const page = await api(next);
      seen.push(...page.body.tickets.map((ticket: { subject: string }) => ticket.subject));
      next = page.body.meta.has_more ? page.body.links.next : null;
    }
    expect(seen).toEqual(['Day 03', 'Day 02', 'Day 01']);
    expect((await api(`/api/v2/users/${requester}/tickets/requested.json?page[size]=101`)).status).toBe(400);
  });

  it('keeps an Idempotency-Key on ticket creation for 2 hours, bound to the body', async () => {
    const ticket = { ticket: { subject: 'Key test', comment: { body: 'Hello' }, requester_id: requester } };
    const headers = { 'idempotency-key': 'key-a' };
    const first = await api('/api/v2/tickets.json', { method: 'POST', body: ticket, headers });
    const again = await api('/api/v2/tickets.json', { method: 'POST', body: ticket, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('x-idempotency-lookup')).toBe('miss');
    expect(again.headers.get('x-idempotency-lookup')).toBe('hit');
    expect(again.body.ticket.id).toBe(first.body.ticket.id);
    const other = await api('/api/v2/tickets.json', {
      method: 'POST',
      body: { ticket: { ...ticket.ticket, subject: 'Other' } },
      headers,
    });
    expect(other).toMatchObject({ status: 400, body: { error: 'IdempotentRequestError' } });
    fake.clock.now += 2 * 60 * 60 * 1000 + 1000;
    const later = await api('/api/v2/tickets.json', { method: 'POST', body: ticket, headers });
    expect(later.headers.get('x-idempotency-lookup')).toBe('miss');
    expect(later.body.ticket.id).not.toBe(first.body.ticket.id);
  });

  it('refuses an update of a closed ticket and a stale safe update', async () => {
    const closed = await zendeskSeeder(fake).ticket({
      requesterId: requester,
      subject: 'Closed',
      description: 'x',
      createdAt: '2026-10-01T08:00:00Z',
      status: 'closed',
    });
    const update = await api(`/api/v2/tickets/${closed}.json`, {
      method: 'PUT',
      body: { ticket: { comment: { body: 'hi' } } },
    });
    expect(update).toMatchObject({
      status: 422,
      body: { details: { status: [{ description: 'Status: closed prevents ticket update' }] } },
    });
    const open = await zendeskSeeder(fake).ticket({
      requesterId: requester,
      subject: 'Open',
      description: 'x',
      createdAt: '2026-10-01T08:00:00Z',
    });
    const stale = await api(`/api/v2/tickets/${open}.json`, {
      method: 'PUT',
      body: { ticket: { comment: { body: 'hi' }, safe_update: true, updated_stamp: '2020-01-01T00:00:00Z' } },
    });
    expect(stale).toMatchObject({ status: 409, body: { error: 'UpdateConflict' } });
  });
});
