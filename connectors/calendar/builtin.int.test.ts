import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import type { ConnectorDefinition, OperationContext } from '../core/definition.ts';
import { builtinCalendarScopes, createBuiltinCalendarConnector } from './builtin.ts';
import { createCalendarConnector } from './create-calendar-connector.ts';
import { calendarTestWorld, maya, omar, testContext } from './test-support.ts';

let database: Database;
let calendar: ConnectorDefinition;

const call = async (operation: string, input: Record<string, unknown>, context: OperationContext) => {
  const definition = calendar.operations[operation]!;
  // Like the pipeline: input parsed by its schema, output checked against its schema.
  return definition.output.parse(await definition.run(definition.input.parse(input), context));
};

beforeAll(async () => {
  database = await createTestDatabase();
  calendar = createBuiltinCalendarConnector({ db: database.pool });
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, calendarTestWorld);
});

const bookingRow = async (id: string) =>
  (await database.pool.query('SELECT status, start_at, end_at, contact_id FROM bookings WHERE id = $1', [id]))
    .rows[0];

describe(`built-in calendar (${testDatabaseKind()})`, () => {
  describe('find_slots', () => {
    it('offers slots after now, inside hours, around existing bookings, shown in the customer’s zone', async () => {
      const { slots } = await call('find_slots', { contact_id: 'ct_1', limit: 3 }, testContext(maya));
      // 09:00Z is now (not offered), 10:00Z is taken by bk_soon.
      expect(slots).toEqual([
        {
          engineer_id: 'eng_1',
          engineer_name: 'Lena Vogt',
          start: '2026-11-20T09:30:00Z',
          end: '2026-11-20T10:00:00Z',
          customer_start: '2026-11-20T10:30:00+01:00',
          customer_timezone: 'Europe/Berlin',
        },
        expect.objectContaining({ engineer_id: 'eng_1', start: '2026-11-20T10:30:00Z' }),
        expect.objectContaining({ engineer_id: 'eng_1', start: '2026-11-20T11:00:00Z' }),
      ]);
    });

    it('puts the slots nearest the preferred (customer-local) time first and skips booked ones', async () => {
      // Monday 09:00 in Berlin is Omar's booking with Lena.
      const { slots } = await call(
        'find_slots',
        { contact_id: 'ct_1', preferred_time: '2026-11-23T09:00', limit: 3 },
        testContext(maya),
      );
      expect(slots.map((slot: { start: string }) => slot.start)).toEqual([
        '2026-11-23T08:30:00Z',
        '2026-11-23T09:00:00Z',
        '2026-11-23T09:30:00Z',
      ]);
    });

    it('never offers slots beyond 14 days ahead', async () => {
      const late = await call('find_slots', { contact_id: 'ct_1', from: '2026-12-10' }, testContext(maya));
      expect(late.slots).toEqual([]);
      const all = await call(
        'find_slots',
        { contact_id: 'ct_1', limit: 20, preferred_time: '2026-12-31T09:00:00Z' },
        testContext(maya),
      );
      expect(all.slots.length).toBe(20);
      for (const slot of all.slots)
        expect(Date.parse(slot.start)).toBeLessThanOrEqual(Date.parse('2026-12-04T09:00:00Z'));
    });

    it('rejects a window that ends before it starts', async () => {
      await expect(
        call('find_slots', { contact_id: 'ct_1', from: '2026-11-25', to: '2026-11-24' }, testContext(maya)),
      ).rejects.toMatchObject({ kind: 'invalid_input' });
    });
  });

  describe('book', () => {
    it('books a free slot and a replay under the same key returns the same booking', async () => {
      const input = { engineer_id: 'eng_2', start: '2026-11-23T09:00', contact_id: 'ct_1' };
      const first = await call('book', input, testContext(maya, { idempotencyKey: 'conv_test:book:1' }));
      expect(first).toMatchObject({
        engineer_id: 'eng_2',
        start: '2026-11-23T14:00:00Z',
        end: '2026-11-23T14:30:00Z',
        status: 'confirmed',
        customer_start: '2026-11-23T15:00:00+01:00',
      });
      const again = await call('book', input, testContext(maya, { idempotencyKey: 'conv_test:book:1' }));
      expect(again.booking_id).toBe(first.booking_id);
      const count = await database.pool.query(
        `SELECT count(*)::int AS n FROM bookings WHERE engineer_id = 'eng_2'`,
      );
      expect(count.rows[0].n).toBe(1);
    });

    it('refuses a slot that is taken, even partly', async () => {
      await expect(
        call(
          'book',
          { engineer_id: 'eng_1', start: '2026-11-23T08:15:00Z', contact_id: 'ct_1' },
          testContext(maya, { idempotencyKey: 'k1' }),
        ),
      ).rejects.toMatchObject({ kind: 'conflict', message: 'slot taken' });
    });

    it('refuses times outside working hours, on days off, and in the past', async () => {
      const attempt = (start: string) =>
        call(
          'book',
          { engineer_id: 'eng_1', start, contact_id: 'ct_1' },
          testContext(maya, { idempotencyKey: start }),
        );
      await expect(attempt('2026-11-23T16:45:00Z')).rejects.toMatchObject({ kind: 'conflict' });
      await expect(attempt('2026-11-21T10:00:00Z')).rejects.toMatchObject({ kind: 'conflict' });
      await expect(attempt('2026-11-20T08:30:00Z')).rejects.toMatchObject({ kind: 'invalid_input' });
    });

    it('lets exactly one of two concurrent bookings of the same slot through', async () => {
      // A calendar that takes its time to create the event widens the race window between check and insert.
      const slowCalendar = createCalendarConnector({
        db: database.pool,
        title: 'slow',
        backend: {
          scopes: builtinCalendarScopes,
          externalBusy: async () => new Map(),
          createEvent: async () => {
            await new Promise((resolve) => setTimeout(resolve, 150));
            return null;
          },
          moveEvent: async () => {},
          deleteEvent: async () => {},
          check: async () => ({ ok: true, detail: '' }),
        },
      });
      const book = slowCalendar.operations.book!;
      const slot = { engineer_id: 'eng_1', start: '2026-11-25T12:00:00Z' };
      const results = await Promise.allSettled([
        book.run(
          book.input.parse({ ...slot, contact_id: 'ct_1' }),
          testContext(maya, { idempotencyKey: 'race:maya' }),
        ),
        book.run(
          book.input.parse({ ...slot, contact_id: 'ct_2' }),
          testContext(omar, { idempotencyKey: 'race:omar' }),
        ),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toMatchObject({ kind: 'conflict' });
      const rows = await database.pool.query(
        `SELECT count(*)::int AS n FROM bookings WHERE engineer_id = 'eng_1' AND start_at = '2026-11-25T12:00:00Z'`,
      );
      expect(rows.rows[0].n).toBe(1);
    });
  });

  describe('reschedule', () => {
    it('moves the customer’s own booking to a free slot', async () => {
      const moved = await call(
        'reschedule',
        { booking_id: 'bk_maya', start: '2026-11-24T13:00:00Z' },
        testContext(maya),
      );
      expect(moved).toMatchObject({
        booking_id: 'bk_maya',
        start: '2026-11-24T13:00:00Z',
        end: '2026-11-24T13:30:00Z',
      });
      expect((await bookingRow('bk_maya')).start_at.toISOString()).toBe('2026-11-24T13:00:00.000Z');
    });

    it('refuses a taken slot, and a call that starts within 2 hours', async () => {
      await expect(
        call('reschedule', { booking_id: 'bk_maya', start: '2026-11-23T08:00:00Z' }, testContext(maya)),
      ).rejects.toMatchObject({ kind: 'conflict', message: 'slot taken' });
      await expect(
        call('reschedule', { booking_id: 'bk_soon', start: '2026-11-24T13:00:00Z' }, testContext(maya)),
      ).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining('within 2 hours') });
      expect((await bookingRow('bk_soon')).start_at.toISOString()).toBe('2026-11-20T10:00:00.000Z');
    });

    it('names the other customer’s account as owner, and refuses to move their booking', async () => {
      const ownership = calendar.operations.reschedule!.ownership!;
      expect(await ownership.ownerOf({ booking_id: 'bk_omar' }, database.pool)).toBe('acc_2');
      expect(await ownership.ownerOf({ booking_id: 'bk_nope' }, database.pool)).toBeNull();
      await expect(
        call('reschedule', { booking_id: 'bk_omar', start: '2026-11-24T13:00:00Z' }, testContext(maya)),
      ).rejects.toMatchObject({ kind: 'forbidden' });
      expect((await bookingRow('bk_omar')).start_at.toISOString()).toBe('2026-11-23T08:00:00.000Z');
    });
  });

  describe('cancel', () => {
    it('cancels once, repeats harmlessly, and frees the slot', async () => {
      const first = await call('cancel', { booking_id: 'bk_maya' }, testContext(maya));
      expect(first.status).toBe('cancelled');
      const second = await call('cancel', { booking_id: 'bk_maya' }, testContext(maya));
      expect(second.status).toBe('cancelled');
      expect((await bookingRow('bk_maya')).status).toBe('cancelled');
      const { slots } = await call(
        'find_slots',
        { contact_id: 'ct_1', preferred_time: '2026-11-24T10:00:00Z', limit: 1, engineer_id: 'eng_1' },
        testContext(maya),
      );
      expect(slots[0].start).toBe('2026-11-24T10:00:00Z');
    });

    it('refuses another customer’s booking and an unknown one', async () => {
      expect(
        await calendar.operations.cancel!.ownership!.ownerOf({ booking_id: 'bk_omar' }, database.pool),
      ).toBe('acc_2');
      await expect(call('cancel', { booking_id: 'bk_omar' }, testContext(maya))).rejects.toMatchObject({
        kind: 'forbidden',
      });
      await expect(call('cancel', { booking_id: 'bk_nope' }, testContext(maya))).rejects.toMatchObject({
        kind: 'not_found',
      });
      expect((await bookingRow('bk_omar')).status).toBe('confirmed');
    });
  });

  it('list_bookings returns only the customer’s own upcoming calls, soonest first', async () => {
    const { bookings } = await call('list_bookings', { contact_id: 'ct_1' }, testContext(maya));
    expect(bookings.map((booking: { booking_id: string }) => booking.booking_id)).toEqual([
      'bk_soon',
      'bk_maya',
    ]);
    expect(bookings[1]).toMatchObject({ customer_start: '2026-11-24T11:00:00+01:00', upcoming: true });
  });

  it('check() reports the engineers it knows', async () => {
    expect(await calendar.check(new AbortController().signal)).toEqual({
      ok: true,
      detail: 'built-in calendar: 2 engineers',
    });
  });
});
