import { DateTime } from 'luxon';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { bookingHorizonDays, findFreeSlots, toUtcIso, toZonedIso } from '../availability.ts';
import { calendar } from '../contract.ts';
import { confirmedBookings, findContact, listEngineers } from '../store.ts';
import type { Interval } from '../types.ts';
import type { CalendarDependencies } from './shared.ts';

/** Reads a window bound: a bare date is the start (or, for `to`, the end) of that day in `zone`. */
function readBound(value: string, zone: string, edge: 'start' | 'end'): Date {
  const parsed = DateTime.fromISO(value, { zone });
  if (!parsed.isValid) throw new ConnectorError('invalid_input', `not an ISO date or date-time: ${value}`);
  const isDateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  return (isDateOnly && edge === 'end' ? parsed.endOf('day') : parsed).toJSDate();
}

/** `calendar.find_slots`: free slots within engineers' working hours, nearest to the preferred time first. */
export function findSlotsOperation({ db, backend }: CalendarDependencies) {
  return implement(calendar.findSlots, {
    scopes: backend.scopes.read,
    timeoutMs: 8000,
    async run(args, context) {
      const now = context.now();
      const contact = args.contact_id ? await findContact(db, args.contact_id) : null;
      const zone = contact?.timezone ?? 'UTC';
      const horizon = DateTime.fromJSDate(now).plus({ days: bookingHorizonDays }).toJSDate();
      const from = args.from ? readBound(args.from, zone, 'start') : now;
      const to = args.to ? readBound(args.to, zone, 'end') : horizon;
      if (args.to && to <= from) throw new ConnectorError('invalid_input', '"to" must be after "from"');
      const window: Interval = {
        // Strictly after now: a slot starting this instant could not be booked any more.
        start: new Date(Math.max(from.getTime(), now.getTime() + 1)),
        end: new Date(Math.min(to.getTime(), horizon.getTime())),
      };
      const engineers = await listEngineers(db, args.engineer_id);
      if (args.engineer_id && engineers.length === 0) {
        throw new ConnectorError('not_found', `no engineer ${args.engineer_id}`);
      }
      if (window.end <= window.start || engineers.length === 0)
        return { slots: [], timezone: contact?.timezone };

      const busy = await confirmedBookings(
        db,
        engineers.map((engineer) => engineer.id),
        window,
      );
      const external = await backend.externalBusy(engineers, window, context.signal);
      for (const [engineerId, blocks] of external)
        busy.set(engineerId, [...(busy.get(engineerId) ?? []), ...blocks]);

      const slots = findFreeSlots({
        engineers,
        busy,
        window,
        durationMinutes: args.duration_minutes,
        preferred: args.preferred_time
          ? DateTime.fromISO(args.preferred_time, { zone }).toJSDate()
          : undefined,
        limit: args.limit,
      });
      return {
        timezone: contact?.timezone,
        slots: slots.map((slot) => ({
          engineer_id: slot.engineer.id,
          engineer_name: slot.engineer.name,
          start: toUtcIso(slot.start),
          end: toUtcIso(slot.end),
          ...(contact ? { customer_start: toZonedIso(slot.start, zone), customer_timezone: zone } : {}),
        })),
      };
    },
  });
}
