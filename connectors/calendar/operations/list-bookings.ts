import { z } from 'zod';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { findContact, listContactBookings } from '../store.ts';
import { bookingSchema } from '../types.ts';
import { type CalendarDependencies, toBookingOutput } from './shared.ts';

const input = z.object({
  /** Filled by the pipeline from the session: only the customer's own bookings. */
  contact_id: z.string().min(1),
  include_past: z.boolean().default(false),
  include_cancelled: z.boolean().default(false),
});

const output = z.object({ bookings: z.array(bookingSchema.extend({ upcoming: z.boolean() })) });

/** `calendar.list_bookings`: the customer's own calls, soonest upcoming first. */
export function listBookingsOperation({ db, backend }: CalendarDependencies) {
  return defineOperation({
    name: 'list_bookings',
    description: "List the customer's own booked calls (upcoming by default) with their booking ids.",
    effect: 'read',
    input,
    output,
    scopes: backend.scopes.read,
    timeoutMs: 5000,
    cacheable: true,
    customerKey: { field: 'contact_id', from: 'contactId' },
    async run(args, context) {
      const contact = await findContact(db, args.contact_id);
      if (!contact) throw new ConnectorError('not_found', `no contact ${args.contact_id}`);
      const now = context.now();
      const records = await listContactBookings(db, args.contact_id, 100);
      const bookings = records
        .filter((record) => args.include_cancelled || record.status === 'confirmed')
        .map((record) => ({ record, upcoming: record.end > now }))
        .filter(({ upcoming }) => args.include_past || upcoming)
        .sort((a, b) => a.record.start.getTime() - b.record.start.getTime())
        .map(({ record, upcoming }) => ({ ...toBookingOutput(record, contact.timezone), upcoming }));
      return { bookings };
    },
  });
}
