import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { clearWorld, loadWorld } from '../../../db/world/load-world.ts';
import {
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '../../../test/fakes/google-calendar/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import type { ConnectorDefinition, OperationContext } from '../../core/definition.ts';
import { eventIdFor } from '../event-id.ts';
import { calendarTestWorld, maya, testContext } from '../test-support.ts';
import { createGoogleCalendarClient } from './client.ts';
import { createGoogleCalendarConnector } from './connector.ts';

const lena = 'lena@lumen.example';
const sam = 'sam@lumen.example';

let database: Database;
let fake: FakeGoogleCalendar;
let calendar: ConnectorDefinition;
let token: string;
const onUnauthorized = vi.fn();

const call = async (operation: string, input: Record<string, unknown>, context: OperationContext) => {
  const definition = calendar.operations[operation]!;
  // Like the pipeline: input parsed by its schema, output checked against its schema.
  return definition.output.parse(await definition.run(definition.input.parse(input), context));
};
const inserts = () =>
  fake.state.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/events'));

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeGoogleCalendar({ tokens: ['token-1', 'token-2'], calendars: [lena, sam, 'primary'] });
  calendar = createGoogleCalendarConnector({
    db: database.pool,
    rootUrl: fake.url,
    getAccessToken: async () => token,
    onUnauthorized,
    calendarIdForEngineer: (engineer) => engineer.email,
  });
});
afterAll(async () => {
  await fake?.close();
  await database?.close();
});
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, calendarTestWorld);
  fake.state.events.clear();
  fake.state.busy.length = 0;
  fake.state.requests.length = 0;
  fake.state.validTokens = new Set(['token-1', 'token-2']);
  token = 'token-1';
  onUnauthorized.mockReset();
});

describe(`Google Calendar connector against the fake (${testDatabaseKind()})`, () => {
  it('find_slots leaves out busy time from Google as well as our bookings', async () => {
    fake.state.busy.push({ calendarId: lena, start: '2026-11-20T09:30:00Z', end: '2026-11-20T10:00:00Z' });
    const { slots } = await call('find_slots', { contact_id: 'ct_1', limit: 2 }, testContext(maya));
    expect(slots.map((slot: { start: string }) => slot.start)).toEqual([
      '2026-11-20T10:30:00Z',
      '2026-11-20T11:00:00Z',
    ]);
    const [query] = fake.state.requests;
    expect(query).toMatchObject({
      method: 'POST',
      path: '/calendar/v3/freeBusy',
      status: 200,
      authorization: 'Bearer token-1',
    });
    expect(query!.body).toMatchObject({ items: [{ id: lena }, { id: sam }] });
  });

  it('book inserts one event with our id, recorded on the booking', async () => {
    const key = 'conv_test:calendar.book:1';
    const booking = await call(
      'book',
      { engineer_id: 'eng_1', start: '2026-11-23T10:00:00+01:00', contact_id: 'ct_1' },
      testContext(maya, { idempotencyKey: key }),
    );
    expect(booking).toMatchObject({ start: '2026-11-23T09:00:00Z', status: 'confirmed' });
    const [event] = fake.liveEvents(lena);
    expect(event).toMatchObject({
      id: eventIdFor(key),
      start: { dateTime: '2026-11-23T09:00:00.000Z', timeZone: 'Europe/Berlin' },
      attendees: [{ email: 'maya@brightpath.io' }],
    });
    expect(inserts()[0]!.query).toMatchObject({ sendUpdates: 'none' });
    const row = await database.pool.query('SELECT external_event_id FROM bookings WHERE id = $1', [
      booking.booking_id,
    ]);
    expect(row.rows[0].external_event_id).toBe(eventIdFor(key));
  });

  it('a book retried with the same key creates one event, also when the first answer was lost', async () => {
    const input = { engineer_id: 'eng_1', start: '2026-11-23T09:00:00Z', contact_id: 'ct_1' };
    const context = testContext(maya, { idempotencyKey: 'conv_test:calendar.book:lost' });
    // Google creates the event, but the answer never arrives.
    fake.failNext(503, {}, { afterApplying: true, operation: 'events.insert' });
    fake.state.requests.length = 0;
    await expect(call('book', input, context)).rejects.toMatchObject({ kind: 'transient' });
    expect(fake.liveEvents(lena)).toHaveLength(1);
    expect(
      (
        await database.pool.query(`SELECT 1 FROM bookings WHERE engineer_id = 'eng_1' AND start_at = $1`, [
          input.start,
        ])
      ).rowCount,
    ).toBe(0);

    const retried = await call('book', input, context);
    const replayed = await call('book', input, context);
    expect(replayed.booking_id).toBe(retried.booking_id);
    expect(fake.liveEvents(lena)).toHaveLength(1);
    expect(inserts()).toHaveLength(1);
    // The retry found Google busy with its own event and adopted it instead of inserting again.
    expect(
      fake.state.requests.filter((request) => request.method === 'GET' && request.status === 200),
    ).toHaveLength(1);
    const rows = await database.pool.query('SELECT external_event_id FROM bookings WHERE id = $1', [
      retried.booking_id,
    ]);
    expect(rows.rows[0].external_event_id).toBe(fake.liveEvents(lena)[0]!.id);
  });

  it('book refuses a slot Google reports busy', async () => {
    fake.state.busy.push({ calendarId: lena, start: '2026-11-23T09:00:00Z', end: '2026-11-23T10:00:00Z' });
    await expect(
      call(
        'book',
        { engineer_id: 'eng_1', start: '2026-11-23T09:30:00Z', contact_id: 'ct_1' },
        testContext(maya, { idempotencyKey: 'busy' }),
      ),
    ).rejects.toMatchObject({ kind: 'conflict', message: 'slot taken' });
    expect(inserts()).toHaveLength(0);
  });

  it('reschedule patches the event; cancel deletes it, and an event already gone counts as deleted', async () => {
    const booked = await call(
      'book',
      { engineer_id: 'eng_1', start: '2026-11-23T09:00:00Z', contact_id: 'ct_1' },
      testContext(maya, { idempotencyKey: 'to-move' }),
    );
    fake.state.busy.push({ calendarId: lena, start: '2026-11-24T13:00:00Z', end: '2026-11-24T14:00:00Z' });
    await expect(
      call('reschedule', { booking_id: booked.booking_id, start: '2026-11-24T13:30:00Z' }, testContext(maya)),
    ).rejects.toMatchObject({ kind: 'conflict' });

    // Moving by half an hour overlaps the booking's own event, which is not a conflict.
    const moved = await call(
      'reschedule',
      { booking_id: booked.booking_id, start: '2026-11-23T09:15:00Z' },
      testContext(maya),
    );
    expect(moved.start).toBe('2026-11-23T09:15:00Z');
    const [event] = fake.liveEvents(lena);
    expect(event!.start).toEqual({ dateTime: '2026-11-23T09:15:00.000Z', timeZone: 'Europe/Berlin' });
    expect(fake.state.requests.some((request) => request.method === 'PATCH' && request.status === 200)).toBe(
      true,
    );

    fake.state.events.get(`${lena}/${event!.id}`)!.status = 'cancelled'; // someone deleted it in Google
    const cancelled = await call('cancel', { booking_id: booked.booking_id }, testContext(maya));
    expect(cancelled.status).toBe('cancelled');
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 410 });
  });

  it('cancel deletes the event in Google', async () => {
    const booked = await call(
      'book',
      { engineer_id: 'eng_2', start: '2026-11-23T14:00:00Z', contact_id: 'ct_1' },
      testContext(maya, { idempotencyKey: 'to-cancel' }),
    );
    await call('cancel', { booking_id: booked.booking_id }, testContext(maya));
    expect(fake.liveEvents(sam)).toHaveLength(0);
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 204 });
  });

  describe('errors', () => {
    const findSlots = () => call('find_slots', { contact_id: 'ct_1' }, testContext(maya));

    it('401 → auth_expired and onUnauthorized, so the retry with a fresh token succeeds', async () => {
      token = 'expired-token';
      onUnauthorized.mockImplementation(() => {
        token = 'token-2';
      });
      await expect(findSlots()).rejects.toMatchObject({ kind: 'auth_expired', retryable: true });
      expect(onUnauthorized).toHaveBeenCalledTimes(1);
      await expect(findSlots()).resolves.toMatchObject({ slots: expect.any(Array) });
    });

    it('429 and 403 rateLimitExceeded → rate_limited with Retry-After', async () => {
      fake.failNext(429, { 'retry-after': '30' });
      await expect(findSlots()).rejects.toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 30 });
      fake.failNext(403, { 'retry-after': '7' });
      await expect(findSlots()).rejects.toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 7 });
      expect(onUnauthorized).not.toHaveBeenCalled();
    });

    it('5xx → transient, garbage → permanent, nothing retried inside the client', async () => {
      fake.failNext(500);
      await expect(findSlots()).rejects.toMatchObject({ kind: 'transient' });
      fake.failNext('garbage');
      await expect(findSlots()).rejects.toMatchObject({ kind: 'permanent' });
      expect(fake.state.requests).toHaveLength(2);
    });

    it('400 from the fake’s body validation → invalid_input; 404 → not_found; 409 duplicate id reported', async () => {
      const client = createGoogleCalendarClient({
        rootUrl: fake.url,
        getAccessToken: async () => 'token-1',
        onUnauthorized,
      });
      const signal = new AbortController().signal;
      const event = {
        id: 'NOT-BASE32HEX',
        start: new Date('2026-11-23T09:00:00Z'),
        end: new Date('2026-11-23T09:30:00Z'),
        timeZone: 'Europe/Berlin',
        summary: 'x',
        attendees: [],
      };
      await expect(client.insertEvent(lena, event, signal)).rejects.toMatchObject({ kind: 'invalid_input' });
      await expect(client.insertEvent(lena, { ...event, id: 'abcdev0123' }, signal)).resolves.toMatchObject({
        id: 'abcdev0123',
      });
      await expect(client.insertEvent(lena, { ...event, id: 'abcdev0123' }, signal)).resolves.toBe(
        'duplicate',
      );
      expect(fake.liveEvents(lena)).toHaveLength(1);
      await expect(client.patchEvent(lena, 'nosuchevent', event, signal)).rejects.toMatchObject({
        kind: 'not_found',
      });
      await expect(client.getEvent(lena, 'nosuchevent', signal)).resolves.toBeNull();
    });
  });

  it('check() accepts a good token and reports a rejected one', async () => {
    const signal = new AbortController().signal;
    expect(await calendar.check(signal)).toMatchObject({ ok: true });
    token = 'revoked';
    expect(await calendar.check(signal)).toMatchObject({ ok: false });
  });
});
