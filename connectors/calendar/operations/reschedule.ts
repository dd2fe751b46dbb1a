import type { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { isWithinWorkingHours, parseInstant } from '../availability.ts';
import { calendar } from '../contract.ts';
import { findBooking, findContact, hasOverlappingBooking, lockEngineer, moveBooking } from '../store.ts';
import {
  assertOwnBooking,
  bookingOwnership,
  type CalendarDependencies,
  changeCutoffHours,
  notFound,
  toBookingOutput,
} from './shared.ts';

/** `calendar.reschedule`: moves the customer's own call to another free slot of the same engineer. */
export function rescheduleOperation({ db, backend }: CalendarDependencies) {
  return implement(calendar.reschedule, {
    scopes: backend.scopes.write,
    timeoutMs: 15_000,
    ownership: bookingOwnership<z.output<typeof calendar.reschedule.input>>(),
    async run(args, context) {
      const existing = await findBooking(db, args.booking_id);
      if (!existing) throw notFound(args.booking_id);
      assertOwnBooking(context.session, existing);

      await backend.prepare?.(context.signal);
      const record = await withTransaction(db, async (client) => {
        // Engineer first, then the booking: the same lock order as `book`, so the two never deadlock.
        const engineer = await lockEngineer(client, existing.engineerId);
        const booking = await findBooking(client, args.booking_id, true);
        if (!engineer || !booking) throw notFound(args.booking_id);
        if (booking.status === 'cancelled')
          throw new ConnectorError('conflict', 'this booking was cancelled');
        let start: Date;
        try {
          start = parseInstant(args.start, engineer.timezone);
        } catch {
          throw new ConnectorError('invalid_input', `start is not an ISO date-time: ${args.start}`);
        }
        // Already there: a replay of this reschedule, or a no-op.
        if (start.getTime() === booking.start.getTime()) return booking;

        const now = context.now();
        if (booking.start.getTime() - now.getTime() < changeCutoffHours * 3_600_000) {
          throw new ConnectorError(
            'conflict',
            `too late to reschedule: the call starts within ${changeCutoffHours} hours (or has passed)`,
          );
        }
        if (start <= now) throw new ConnectorError('invalid_input', 'that time is in the past');
        const end = new Date(start.getTime() + (booking.end.getTime() - booking.start.getTime()));
        if (!isWithinWorkingHours(engineer, start, end)) {
          throw new ConnectorError('conflict', "slot taken: outside the engineer's working hours");
        }
        if (await hasOverlappingBooking(client, engineer.id, { start, end }, booking.id)) {
          throw new ConnectorError('conflict', 'slot taken');
        }
        await backend.moveEvent(engineer, booking.externalEventId, booking, { start, end }, context.signal);
        await moveBooking(client, booking.id, { start, end });
        return { ...booking, start, end };
      });
      const contact = await findContact(db, record.contactId);
      return toBookingOutput(record, contact?.timezone);
    },
  });
}
