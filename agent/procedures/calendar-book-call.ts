import { calendar } from '../../connectors/contracts.ts';
import { preferredInstant, slotsNear, upcomingBookings, when } from './calendar-shared.ts';
import { ask, outputOf, type Procedure, writeAction } from './procedure.ts';

/** Free slots offered, one booked, invite emailed. */
export const bookCallProcedure: Procedure = {
  intent: 'calendar.book_call',
  title: 'booking a call with a support engineer',
  verification: 'required',
  // Two customers can be offered the same free slot; the second yes meets `conflict`.
  replanOnConflict: true,
  slots: {
    preferred_time: {
      prompt: 'When would suit you for a 30-minute call with one of our engineers (e.g. "Tuesday at 3pm")?',
    },
  },
  async plan(context) {
    if (!context.slots.preferred_time) return ask(this, 'preferred_time');
    const preferred = preferredInstant(context, context.slots.preferred_time);
    // Common sense before proposing (issue #19, pattern 10): a call the customer already has at that
    // time is not booked twice; a second call at another time is fine.
    const clash = (await upcomingBookings(context)).find(
      (booking) => Math.abs(new Date(booking.start).getTime() - new Date(preferred).getTime()) < 30 * 60_000,
    );
    if (clash)
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `You already have a call with ${clash.engineer_name} on ${when(context, clash.start)}, so there's nothing to book. If you'd like a different time, tell me when and I can move it.`,
      };
    const slots = await slotsNear(context, preferred);
    const slot = slots[0];
    if (!slot) {
      return {
        kind: 'reply',
        outcome: 'answered',
        text: 'There are no free slots with our engineers in the next 14 days, sorry. You can ask me again later or ask for a person.',
      };
    }
    const exact = new Date(slot.start).getTime() === new Date(preferred).getTime();
    const intro = exact
      ? `${when(context, slot.start)} is free with ${slot.engineer_name}.`
      : `${when(context, preferred)} isn't available; the closest free slot is ${when(context, slot.start)} with ${slot.engineer_name}.`;
    return {
      kind: 'confirm',
      prompt: `${intro} Shall I book this 30-minute call for you?`,
      actions: [
        writeAction(
          calendar.book,
          { engineer_id: slot.engineer_id, start: slot.start },
          `book a call with ${slot.engineer_name} at ${slot.start}`,
        ),
      ],
    };
  },
  complete(context, results) {
    const output = outputOf(results, calendar.book);
    return {
      text: `Booked — you have a 30-minute call with ${output.engineer_name} on ${when(context, output.start)}. I've emailed you the invite.`,
      email: {
        template: 'call_booked',
        variables: {
          booking_id: output.booking_id,
          engineer_name: output.engineer_name,
          start: output.start,
          duration_minutes: 30,
        },
      },
    };
  },
};
