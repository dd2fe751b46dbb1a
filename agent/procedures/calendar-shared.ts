import { formatTime, mustRead, type ProcedureContext } from './procedure.ts';

export interface Slot {
  engineer_id: string;
  engineer_name: string;
  start: string;
  end: string;
}

export interface Booking {
  booking_id: string;
  engineer_id: string;
  engineer_name: string;
  start: string;
  end: string;
  status: 'confirmed' | 'cancelled';
}

/** Free slots nearest the customer's preferred time. */
export async function slotsNear(
  context: ProcedureContext,
  preferredTime: string,
  engineerId?: string,
): Promise<Slot[]> {
  const { data } = await mustRead<{ slots: Slot[] }>(context, 'calendar', 'find_slots', {
    preferred_time: preferredTime,
    limit: 3,
    ...(engineerId ? { engineer_id: engineerId } : {}),
  });
  return data.slots;
}

/** The customer's upcoming confirmed bookings, soonest first. */
export async function upcomingBookings(context: ProcedureContext): Promise<Booking[]> {
  const { data } = await mustRead<{ bookings: Booking[] }>(context, 'calendar', 'list_bookings', {});
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
