import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { clearWorld, loadWorld } from '../../../db/world/load-world.ts';
import {
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '../../../test/fakes/google-calendar/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../../core/connector-gateway.ts';
import type { CallerSession } from '../../core/definition.ts';
import { calendarTestWorld, testNow } from '../test-support.ts';
import { createGoogleCalendarConnector } from './connector.ts';

let database: Database;
let fake: FakeGoogleCalendar;
let gateway: ManagedConnectorGateway;
let token: string;
let refreshes: number;

const maya: CallerSession = {
  conversationId: 'conv_g1',
  actor: 'agent',
  customer: { contactId: 'ct_1', accountId: 'acc_1', verified: true },
};

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeGoogleCalendar({ tokens: ['fresh-token'] });
  const calendar = createGoogleCalendarConnector({
    db: database.pool,
    rootUrl: fake.url,
    getAccessToken: async () => token,
    // What the token manager does: the next getAccessToken() returns a refreshed token.
    onUnauthorized: () => {
      refreshes += 1;
      token = 'fresh-token';
    },
    calendarIdForEngineer: (engineer) => engineer.email,
  });
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [calendar],
    now: () => testNow,
    resilience: { retry: { initialDelayMs: 1, maxDelayMs: 5 } },
    random: () => 0.5,
  });
});
afterAll(async () => {
  await gateway?.close();
  await fake?.close();
  await database?.close();
});
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, calendarTestWorld);
  fake.state.events.clear();
  fake.state.requests.length = 0;
  token = 'fresh-token';
  refreshes = 0;
});

describe(`Google calendar through the connector gateway (${testDatabaseKind()})`, () => {
  it('books once after an expired token: the pipeline retries with the refreshed one', async () => {
    token = 'expired-token';
    const result = await gateway.callByName(maya, 'calendar', 'book', {
      engineer_id: 'eng_1',
      start: '2026-11-23T09:00:00Z',
    });
    expect(result).toMatchObject({
      status: 'ok',
      data: { start: '2026-11-23T09:00:00Z', contact_id: 'ct_1' },
    });
    expect(refreshes).toBe(1);
    expect(fake.liveEvents('lena@lumen.example')).toHaveLength(1);
  });

  it('books once when Google’s answer to the insert is lost, and a replay returns the same booking', async () => {
    fake.failNext(503, {}, { afterApplying: true, operation: 'events.insert' });
    const input = { engineer_id: 'eng_1', start: '2026-11-23T09:00:00Z' };
    const first = await gateway.callByName(maya, 'calendar', 'book', input);
    const again = await gateway.callByName(maya, 'calendar', 'book', input);
    expect(first).toMatchObject({ status: 'ok', replayed: false });
    expect(again).toMatchObject({ status: 'ok', replayed: true });
    expect(fake.liveEvents('lena@lumen.example')).toHaveLength(1);
    const rows = await database.pool.query(
      `SELECT count(*)::int AS n FROM bookings WHERE engineer_id = 'eng_1' AND start_at = $1`,
      [input.start],
    );
    expect(rows.rows[0].n).toBe(1);
  });

  it('binds the contact from the session and refuses another customer’s booking', async () => {
    const slot = { engineer_id: 'eng_2', start: '2026-11-23T14:00:00Z' };
    const forOmar = await gateway.callByName(maya, 'calendar', 'book', { ...slot, contact_id: 'ct_2' });
    expect(forOmar).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    const booked = await gateway.callByName(maya, 'calendar', 'book', slot);
    expect(booked).toMatchObject({ status: 'ok', data: { contact_id: 'ct_1' } });
    const moved = await gateway.callByName(maya, 'calendar', 'reschedule', {
      booking_id: 'bk_omar',
      start: '2026-11-24T13:00:00Z',
    });
    expect(moved).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    const cancelled = await gateway.callByName(maya, 'calendar', 'cancel', { booking_id: 'bk_omar' });
    expect(cancelled).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
  });

  it('reports a taken slot as a conflict without retrying it', async () => {
    const result = await gateway.callByName(maya, 'calendar', 'book', {
      engineer_id: 'eng_1',
      start: '2026-11-23T08:00:00Z',
    });
    expect(result).toMatchObject({ status: 'error', error: { kind: 'conflict', retryable: false } });
  });
});
