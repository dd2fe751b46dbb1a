import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { isWithinWorkingHours, parseInstant } from '../availability.ts';
import { calendar } from '../contract.ts';
import { eventIdFor } from '../event-id.ts';
import {
  findBooking,
  findContact,
  hasOverlappingBooking,
  insertBooking,
  listEngineers,
  lockEngineer,
} from '../store.ts';
import { assertOwnBooking, bookingIdFor, type CalendarDependencies, toBookingOutput } from './shared.ts';

/** `calendar.book`: books a call in a slot that is still free and inside the engineer's hours. */
export function bookOperation({ db, backend }: CalendarDependencies) {
  return implement(calendar.book, {
    scopes: backend.scopes.write,
    timeoutMs: 15_000,
    async run(args, context) {
      const key =
        context.idempotencyKey ??
        `calendar.book:${args.engineer_id}:${args.start}:${args.contact_id}:${context.session.conversationId}`;
      const bookingId = bookingIdFor(key);
      const [engineer] = await listEngineers(db, args.engineer_id);
      if (!engineer) throw new ConnectorError('not_found', `no engineer ${args.engineer_id}`);
      const contact = await findContact(db, args.contact_id);
      if (!contact) throw new ConnectorError('not_found', `no contact ${args.contact_id}`);
      let start: Date;
      try {
        start = parseInstant(args.start, engineer.timezone);
      } catch {
        throw new ConnectorError('invalid_input', `start is not an ISO date-time: ${args.start}`);
      }
      const end = new Date(start.getTime() + args.duration_minutes * 60_000);

      await backend.prepare?.(context.signal);
      const record = await withTransaction(db, async (client) => {
        const earlier = await findBooking(client, bookingId);
        if (earlier) {
          // A replay of a book that already happened under this key.
          assertOwnBooking(context.session, earlier);
          return earlier;
        }
        if (start <= context.now()) throw new ConnectorError('invalid_input', 'that time is in the past');
        const locked = await lockEngineer(client, engineer.id);
        if (!locked) throw new ConnectorError('not_found', `no engineer ${engineer.id}`);
        if (!isWithinWorkingHours(locked, start, end)) {
          throw new ConnectorError('conflict', "slot taken: outside the engineer's working hours");
        }
        if (await hasOverlappingBooking(client, locked.id, { start, end })) {
          throw new ConnectorError('conflict', 'slot taken');
        }
        const externalEventId = await backend.createEvent(
          {
            eventId: eventIdFor(key),
            engineer: locked,
            start,
            end,
            summary: `Support call: ${contact.name} with ${locked.name}${args.topic ? ` (${args.topic})` : ''}`,
            attendeeEmails: [contact.email],
          },
          context.signal,
        );
        await insertBooking(client, {
          id: bookingId,
          contactId: contact.id,
          engineerId: locked.id,
          start,
          end,
          topic: args.topic ?? null,
          externalEventId,
        });
        const created = await findBooking(client, bookingId);
        return created!;
      });
      return toBookingOutput(record, contact.timezone);
    },
  });
}
