import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from './server.ts';

let fake: FakeGoogleCalendar;
beforeAll(async () => {
  fake = await startFakeGoogleCalendar({ tokens: ['good'], calendars: ['cal@example.com'] });
});
afterAll(async () => {
  await fake?.close();
});

const request = async (method: string, path: string, body?: unknown, token: string | null = 'good') => {
  const response = await fetch(new URL(path, fake.url), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

const events = '/calendar/v3/calendars/cal%40example.com/events';
const event = {
  id: 'abc12345',
  summary: 'Call',
  start: { dateTime: '2026-11-23T09:00:00Z', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-11-23T09:30:00Z', timeZone: 'Europe/Berlin' },
  attendees: [{ email: 'maya@brightpath.io' }],
};

describe('fake Google Calendar', () => {
  it('answers 401 in Google’s error shape without a valid bearer token', async () => {
    const missing = await request('POST', '/calendar/v3/freeBusy', {}, null);
    expect(missing).toMatchObject({
      status: 401,
      body: { error: { code: 401, errors: [{ reason: 'required' }] } },
    });
    const unknown = await request('POST', '/calendar/v3/freeBusy', {}, 'stolen');
    expect(unknown.body.error.errors[0].reason).toBe('authError');
  });

  it('validates freeBusy bodies', async () => {
    expect(
      (await request('POST', '/calendar/v3/freeBusy', { timeMax: '2026-11-24T00:00:00Z', items: [] })).status,
    ).toBe(400);
    const empty = await request('POST', '/calendar/v3/freeBusy', {
      timeMin: '2026-11-24T00:00:00Z',
      timeMax: '2026-11-23T00:00:00Z',
      items: [],
    });
    expect(empty.body.error.errors[0].reason).toBe('timeRangeEmpty');
    const ok = await request('POST', '/calendar/v3/freeBusy', {
      timeMin: '2026-11-23T00:00:00Z',
      timeMax: '2026-11-24T00:00:00Z',
      items: [{ id: 'cal@example.com' }, { id: 'other@example.com' }],
    });
    expect(ok.body.calendars['cal@example.com']).toEqual({ busy: [] });
    expect(ok.body.calendars['other@example.com'].errors[0].reason).toBe('notFound');
  });

  it('validates event bodies: id alphabet and length, times, time zone, attendees', async () => {
    const reject = async (body: unknown) => (await request('POST', events, body)).status;
    expect(await reject({ ...event, id: 'abcw1234' })).toBe(400); // w is not base32hex
    expect(await reject({ ...event, id: 'abc1' })).toBe(400); // shorter than 5
    expect(await reject({ ...event, start: undefined })).toBe(400);
    expect(await reject({ ...event, end: { dateTime: '2026-11-23T08:00:00Z' } })).toBe(400);
    expect(await reject({ ...event, start: { dateTime: '2026-11-23T09:00:00' } })).toBe(400); // no offset, no zone
    expect(await reject({ ...event, start: { ...event.start, timeZone: 'Mars/Olympus' } })).toBe(400);
    expect(await reject({ ...event, attendees: [{ email: 'not-an-address' }] })).toBe(400);
    expect(fake.liveEvents('cal@example.com')).toHaveLength(0);
  });

  it('stores events, refuses a reused id with 409, and deletes with 204 then 410', async () => {
    expect((await request('POST', events, event)).status).toBe(200);
    expect(await request('POST', events, event)).toMatchObject({
      status: 409,
      body: { error: { errors: [{ reason: 'duplicate' }] } },
    });
    expect((await request('GET', `${events}/abc12345`)).body).toMatchObject({
      id: 'abc12345',
      status: 'confirmed',
    });
    expect((await request('DELETE', `${events}/abc12345`)).status).toBe(204);
    expect((await request('DELETE', `${events}/abc12345`)).status).toBe(410);
    expect((await request('GET', `${events}/missing1`)).status).toBe(404);
    expect(
      (await request('GET', '/calendar/v3/calendars/unknown%40example.com/events/abc12345')).status,
    ).toBe(404);
  });

  it('fails the next calls on request, optionally after applying them', async () => {
    fake.failNext(503, {}, { times: 2 });
    expect((await request('GET', `${events}/abc12345`)).status).toBe(503);
    expect((await request('GET', `${events}/abc12345`)).status).toBe(503);
    fake.failNext(500, {}, { afterApplying: true });
    expect((await request('POST', events, { ...event, id: 'applied01' })).status).toBe(500);
    expect((await request('GET', `${events}/applied01`)).status).toBe(200);
  });
});
