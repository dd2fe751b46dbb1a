import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { calendar } from '../contract.ts';
import { findContact, listContactBookings } from '../store.ts';
import { type CalendarDependencies, toBookingOutput } from './shared.ts';

/** `calendar.list_bookings`: the customer's own calls, soonest upcoming first. */
export function listBookingsOperation({ db, backend }: CalendarDependencies) {
  return implement(calendar.listBookings, {
    scopes: backend.scopes.read,
    timeoutMs: 5000,
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
