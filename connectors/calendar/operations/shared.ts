import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CallerSession, OwnershipCheck } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { toUtcIso, toZonedIso } from '../availability.ts';
import type { CalendarBackend } from '../backend.ts';
import { bookingOwner } from '../store.ts';
import type { Booking, BookingRecord } from '../types.ts';

/** What every calendar operation is built from. */
export interface CalendarDependencies {
  db: pg.Pool;
  backend: CalendarBackend;
}

/** Calls must not move or cancel closer than this to their start. */
export const changeCutoffHours = 2;

/** Maps a stored booking to what the agent sees, with the start in the customer's zone when known. */
export function toBookingOutput(record: BookingRecord, customerTimezone?: string): Booking {
  return {
    booking_id: record.id,
    engineer_id: record.engineerId,
    engineer_name: record.engineerName,
    contact_id: record.contactId,
    start: toUtcIso(record.start),
    end: toUtcIso(record.end),
    status: record.status,
    ...(customerTimezone
      ? { customer_start: toZonedIso(record.start, customerTimezone), customer_timezone: customerTimezone }
      : {}),
  };
}

/** Stable id for a booking made under an idempotency key: a replayed book finds its own booking. */
export const bookingIdFor = (idempotencyKey: string): string =>
  `bk_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 20)}`;

/** The pipeline's ownership check for inputs that name a booking. */
export const bookingOwnership = <Input extends { booking_id: string }>(): OwnershipCheck<Input> => ({
  ownerOf: (input, db) => bookingOwner(db, input.booking_id),
});

/**
 * Defence in depth behind the pipeline's ownership check: a customer session may only touch
 * bookings of its own account.
 */
export function assertOwnBooking(session: CallerSession, booking: BookingRecord): void {
  if (session.customer && session.customer.accountId !== booking.accountId) {
    throw new ConnectorError('forbidden', 'this booking belongs to another customer');
  }
}

export const notFound = (bookingId: string): ConnectorError =>
  new ConnectorError('not_found', `no booking ${bookingId}`);
