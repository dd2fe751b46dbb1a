import { calendar } from '../../connectors/contracts.ts';
import { chosenBooking, preferredInstant, slotsNear, when } from './calendar-shared.ts';
import { ask, outputOf, type Procedure, writeAction } from './procedure.ts';

/** Booking moved, email sent. */
export const rescheduleCallProcedure: Procedure = {
  intent: 'calendar.reschedule_call',
  title: 'moving your call',
  verification: 'required',
  // Two customers can be offered the same free slot; the second yes meets `conflict`.
  replanOnConflict: true,
  slots: {
    booking_id: {
      prompt: 'Which call would you like to move? Please give the booking reference (e.g. bk_0012).',
    },
    preferred_time: { prompt: 'When would you like to move it to (e.g. "Thursday at 10am")?' },
  },
  async plan(context) {
    const { booking, choices } = await chosenBooking(context);
    if (!booking) {
      if (choices.length === 0)
        return {
          kind: 'reply',
          outcome: 'answered',
          text: "I couldn't find an upcoming call booked on your account.",
        };
      return ask(this, 'booking_id');
    }
    if (!context.slots.preferred_time) return ask(this, 'preferred_time');
    // A new day without an hour keeps the call's own time of day.
    const preferred = preferredInstant(context, context.slots.preferred_time, booking.start);
    const slots = await slotsNear(context, preferred, booking.engineer_id);
    const slot = slots[0] ?? (await slotsNear(context, preferred))[0];
    if (!slot)
      return {
        kind: 'reply',
        outcome: 'answered',
        text: 'There are no free slots near that time in the next 14 days, sorry.',
      };
    return {
      kind: 'confirm',
      prompt: `Your call on ${when(context, booking.start)} can move to ${when(context, slot.start)}${slot.engineer_id === booking.engineer_id ? '' : ` with ${slot.engineer_name}`}. Shall I move it?`,
      actions: [
        writeAction(
          calendar.reschedule,
          { booking_id: booking.booking_id, start: slot.start },
          `move booking ${booking.booking_id} to ${slot.start}`,
        ),
      ],
    };
  },
  complete(context, results) {
    const output = outputOf(results, calendar.reschedule);
    return {
      text: `Done — your call is now on ${when(context, output.start)} with ${output.engineer_name}. I've emailed you the updated invite.`,
      email: {
        template: 'call_rescheduled',
        variables: {
          booking_id: output.booking_id,
          engineer_name: output.engineer_name,
          start: output.start,
        },
      },
    };
  },
};
