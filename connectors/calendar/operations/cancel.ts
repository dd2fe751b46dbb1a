import type { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { calendar } from '../contract.ts';
import { cancelBooking, findBooking, findContact, lockEngineer } from '../store.ts';
import {
  assertOwnBooking,
  bookingOwnership,
  type CalendarDependencies,
  notFound,
  toBookingOutput,
} from './shared.ts';

/** `calendar.cancel`: cancels the customer's own call; cancelling a cancelled call is a no-op. */
export function cancelOperation({ db, backend }: CalendarDependencies) {
  return implement(calendar.cancel, {
    scopes: backend.scopes.write,
    timeoutMs: 15_000,
    ownership: bookingOwnership<z.output<typeof calendar.cancel.input>>(),
    async run(args, context) {
      const existing = await findBooking(db, args.booking_id);
      if (!existing) throw notFound(args.booking_id);
      assertOwnBooking(context.session, existing);

      await backend.prepare?.(context.signal);
      const record = await withTransaction(db, async (client) => {
        const engineer = await lockEngineer(client, existing.engineerId);
        const booking = await findBooking(client, args.booking_id, true);
        if (!engineer || !booking) throw notFound(args.booking_id);
        if (booking.status === 'cancelled') return booking;
        if (booking.end <= context.now())
          throw new ConnectorError('conflict', 'this call has already taken place');
        if (booking.externalEventId)
          await backend.deleteEvent(engineer, booking.externalEventId, context.signal);
        await cancelBooking(client, booking.id);
        return { ...booking, status: 'cancelled' as const };
      });
      const contact = await findContact(db, record.contactId);
      return toBookingOutput(record, contact?.timezone);
    },
  });
}
