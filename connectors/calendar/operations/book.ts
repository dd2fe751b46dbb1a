import { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { isWithinWorkingHours, parseInstant } from '../availability.ts';
import { eventIdFor } from '../event-id.ts';
import {
  findBooking,
  findContact,
  hasOverlappingBooking,
  insertBooking,
  listEngineers,
  lockEngineer,
} from '../store.ts';
import { bookingSchema, isoDateTimeInput } from '../types.ts';
import { assertOwnBooking, bookingIdFor, type CalendarDependencies, toBookingOutput } from './shared.ts';

const input = z.object({
  engineer_id: z.string().min(1),
  /** ISO date-time; without an offset it is the engineer's wall-clock time. */
  start: isoDateTimeInput,
  /** Filled by the pipeline from the session. */
  contact_id: z.string().min(1),
  duration_minutes: z.number().int().min(15).max(120).default(30),
  topic: z.string().max(200).optional(),
});

/** `calendar.book`: books a call in a slot that is still free and inside the engineer's hours. */
export function bookOperation({ db, backend }: CalendarDependencies) {
  return defineOperation({
    name: 'book',
    description: 'Book a call with a support engineer at a free slot returned by find_slots.',
    effect: 'write',
    input,
    output: bookingSchema,
    scopes: backend.scopes.write,
    timeoutMs: 15_000,
    idempotencyKey: (args) => `calendar.book:${args.engineer_id}:${args.start}:${args.contact_id}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
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
