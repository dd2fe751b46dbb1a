import { DateTime } from 'luxon';
import { calendar } from '../../connectors/contracts.ts';
import type { ContractOutput } from '../../connectors/core/contract.ts';
import { formatTime, mustRead, type ProcedureContext } from './procedure.ts';

/** A free slot, as `calendar.find_slots` returns it. */
export type Slot = ContractOutput<typeof calendar.findSlots>['slots'][number];
/** A booking, as `calendar.list_bookings` returns it. */
export type Booking = ContractOutput<typeof calendar.listBookings>['bookings'][number];

/** Free slots nearest the customer's preferred time. */
export async function slotsNear(
  context: ProcedureContext,
  preferredTime: string,
  engineerId?: string,
): Promise<Slot[]> {
  const { data } = await mustRead(context, calendar.findSlots, {
    preferred_time: preferredTime,
    limit: 3,
    ...(engineerId ? { engineer_id: engineerId } : {}),
  });
  return data.slots;
}

/** The customer's upcoming confirmed bookings, soonest first. */
export async function upcomingBookings(context: ProcedureContext): Promise<Booking[]> {
  const { data } = await mustRead(context, calendar.listBookings, {});
  return data.bookings
    .filter((booking) => booking.status === 'confirmed' && new Date(booking.start) > context.now)
    .sort((a, b) => a.start.localeCompare(b.start));
}

/** The booking the customer means: the named one, or their only upcoming one. */
export async function chosenBooking(
  context: ProcedureContext,
): Promise<{ booking?: Booking; choices: Booking[] }> {
  const choices = await upcomingBookings(context);
  if (context.slots.booking_id)
    return { booking: choices.find((item) => item.booking_id === context.slots.booking_id), choices };
  return { booking: choices.length === 1 ? choices[0] : undefined, choices };
}

export const when = (context: ProcedureContext, iso: string) =>
  formatTime(iso, context.customer?.timezone ?? 'UTC');

/**
 * The instant a preferred time stands for. The local reasoner gives a local date alone when the
 * customer named a day but no hour (agent/reasoner/local/slots.ts `parseTime`): a moved call keeps
 * its own time of day ("push it to Wednesday, same time"), a new one starts at 09:00 local.
 */
export function preferredInstant(context: ProcedureContext, preferred: string, keepTimeOf?: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(preferred)) return preferred;
  const zone = context.customer?.timezone ?? 'UTC';
  const kept = keepTimeOf ? DateTime.fromISO(keepTimeOf).setZone(zone) : undefined;
  const local = DateTime.fromISO(preferred, { zone }).set({
    hour: kept?.hour ?? 9,
    minute: kept?.minute ?? 0,
    second: 0,
    millisecond: 0,
  });
  return local.toUTC().toISO({ suppressMilliseconds: true })!;
}
