import { calendar } from '../../connectors/contracts.ts';
import { chosenBooking, when } from './calendar-shared.ts';
import { ask, outputOf, type Procedure, writeAction } from './procedure.ts';

/** Booking cancelled, email sent. */
export const cancelCallProcedure: Procedure = {
  intent: 'calendar.cancel_call',
  title: 'cancelling your call',
  verification: 'required',
  slots: {
    booking_id: {
      prompt: 'Which call would you like to cancel? Please give the booking reference (e.g. bk_0012).',
    },
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
    return {
      kind: 'confirm',
      prompt: `Shall I cancel your call with ${booking.engineer_name} on ${when(context, booking.start)}?`,
      actions: [
        writeAction(
          calendar.cancel,
          { booking_id: booking.booking_id },
          `cancel booking ${booking.booking_id}`,
        ),
      ],
    };
  },
  complete(context, results) {
    const output = outputOf(results, calendar.cancel);
    return {
      text: `Done — your call on ${when(context, output.start)} is cancelled. I've emailed you a confirmation.`,
      email: {
        template: 'call_cancelled',
        variables: {
          booking_id: output.booking_id,
          engineer_name: output.engineer_name,
          start: output.start,
        },
      },
    };
  },
};
