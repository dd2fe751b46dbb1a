import type { Queryable } from '../core/queryable.ts';
import type { BookingRecord, Engineer, Interval } from './types.ts';

interface EngineerRow {
  id: string;
  name: string;
  email: string;
  timezone: string;
  hours_start: string;
  hours_end: string;
  days: string[];
}

interface BookingRow {
  id: string;
  contact_id: string;
  engineer_id: string;
  engineer_name: string;
  account_id: string;
  start_at: Date;
  end_at: Date;
  status: 'confirmed' | 'cancelled';
  external_event_id: string | null;
}

const toEngineer = (row: EngineerRow): Engineer => ({
  id: row.id,
  name: row.name,
  email: row.email,
  timezone: row.timezone,
  hoursStart: row.hours_start,
  hoursEnd: row.hours_end,
  days: row.days,
});

const toBooking = (row: BookingRow): BookingRecord => ({
  id: row.id,
  contactId: row.contact_id,
  engineerId: row.engineer_id,
  engineerName: row.engineer_name,
  accountId: row.account_id,
  start: new Date(row.start_at),
  end: new Date(row.end_at),
  status: row.status,
  externalEventId: row.external_event_id,
});

const bookingColumns = `b.id, b.contact_id, b.engineer_id, e.name AS engineer_name, c.account_id, b.start_at, b.end_at,
  b.status, b.external_event_id`;
const bookingJoins =
  'bookings b JOIN engineers e ON e.id = b.engineer_id JOIN contacts c ON c.id = b.contact_id';

/** Engineers, all of them or the one asked for. */
export async function listEngineers(db: Queryable, engineerId?: string): Promise<Engineer[]> {
  const result = await db.query<EngineerRow>(
    `SELECT id, name, email, timezone, hours_start, hours_end, days FROM engineers
     WHERE $1::text IS NULL OR id = $1 ORDER BY id`,
    [engineerId ?? null],
  );
  return result.rows.map(toEngineer);
}

/** Locks the engineer's row: bookings for one engineer are decided one at a time. */
export async function lockEngineer(db: Queryable, engineerId: string): Promise<Engineer | null> {
  const result = await db.query<EngineerRow>(
    'SELECT id, name, email, timezone, hours_start, hours_end, days FROM engineers WHERE id = $1 FOR UPDATE',
    [engineerId],
  );
  return result.rows[0] ? toEngineer(result.rows[0]) : null;
}

/** Confirmed bookings per engineer that overlap `window`. */
export async function confirmedBookings(
  db: Queryable,
  engineerIds: string[],
  window: Interval,
): Promise<Map<string, Interval[]>> {
  const result = await db.query<{ engineer_id: string; start_at: Date; end_at: Date }>(
    `SELECT engineer_id, start_at, end_at FROM bookings
     WHERE status = 'confirmed' AND engineer_id = ANY($1::text[]) AND start_at < $3 AND end_at > $2`,
    [engineerIds, window.start, window.end],
  );
  const busy = new Map<string, Interval[]>();
  for (const row of result.rows) {
    const list = busy.get(row.engineer_id) ?? [];
    list.push({ start: new Date(row.start_at), end: new Date(row.end_at) });
    busy.set(row.engineer_id, list);
  }
  return busy;
}

/** True when a confirmed booking of the engineer (other than `exceptBookingId`) overlaps the range; locks those rows. */
export async function hasOverlappingBooking(
  db: Queryable,
  engineerId: string,
  range: Interval,
  exceptBookingId?: string,
): Promise<boolean> {
  const result = await db.query(
    `SELECT id FROM bookings
     WHERE engineer_id = $1 AND status = 'confirmed' AND start_at < $3 AND end_at > $2
       AND ($4::text IS NULL OR id <> $4)
     FOR UPDATE`,
    [engineerId, range.start, range.end, exceptBookingId ?? null],
  );
  return result.rows.length > 0;
}

/** One booking, optionally locked for update. */
export async function findBooking(
  db: Queryable,
  bookingId: string,
  lock = false,
): Promise<BookingRecord | null> {
  const result = await db.query<BookingRow>(
    `SELECT ${bookingColumns} FROM ${bookingJoins} WHERE b.id = $1
     ${lock ? 'FOR UPDATE OF b' : ''}`,
    [bookingId],
  );
  return result.rows[0] ? toBooking(result.rows[0]) : null;
}

/** The contact's bookings, newest start first. */
export async function listContactBookings(
  db: Queryable,
  contactId: string,
  limit: number,
): Promise<BookingRecord[]> {
  const result = await db.query<BookingRow>(
    `SELECT ${bookingColumns} FROM ${bookingJoins}
     WHERE b.contact_id = $1 ORDER BY b.start_at DESC LIMIT $2`,
    [contactId, limit],
  );
  return result.rows.map(toBooking);
}

export async function insertBooking(
  db: Queryable,
  booking: {
    id: string;
    contactId: string;
    engineerId: string;
    start: Date;
    end: Date;
    topic: string | null;
    externalEventId: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO bookings (id, contact_id, engineer_id, start_at, end_at, status, topic, external_event_id)
     VALUES ($1, $2, $3, $4, $5, 'confirmed', $6, $7)`,
    [
      booking.id,
      booking.contactId,
      booking.engineerId,
      booking.start,
      booking.end,
      booking.topic,
      booking.externalEventId,
    ],
  );
}

export async function moveBooking(db: Queryable, bookingId: string, range: Interval): Promise<void> {
  await db.query('UPDATE bookings SET start_at = $2, end_at = $3, updated_at = now() WHERE id = $1', [
    bookingId,
    range.start,
    range.end,
  ]);
}

export async function cancelBooking(db: Queryable, bookingId: string): Promise<void> {
  await db.query(`UPDATE bookings SET status = 'cancelled', updated_at = now() WHERE id = $1`, [bookingId]);
}

/** The contact's address, name, time zone and account. */
export async function findContact(
  db: Queryable,
  contactId: string,
): Promise<{ id: string; accountId: string; name: string; email: string; timezone: string } | null> {
  const result = await db.query<{
    id: string;
    account_id: string;
    name: string;
    email: string;
    timezone: string;
  }>('SELECT id, account_id, name, email, timezone FROM contacts WHERE id = $1', [contactId]);
  const row = result.rows[0];
  return row
    ? { id: row.id, accountId: row.account_id, name: row.name, email: row.email, timezone: row.timezone }
    : null;
}

/** The account that owns a booking (through its contact), or null when there is no such booking. */
export async function bookingOwner(db: Queryable, bookingId: string): Promise<string | null> {
  const result = await db.query<{ account_id: string }>(
    'SELECT c.account_id FROM bookings b JOIN contacts c ON c.id = b.contact_id WHERE b.id = $1',
    [bookingId],
  );
  return result.rows[0]?.account_id ?? null;
}
