import { z } from 'zod';
import { defineTemplate, formatDateTime } from './render.ts';

const instant = z.iso.datetime({ offset: true });
const engineerName = z.string().min(1).max(100);

/** Confirmation of a booked call, the invite (calendar.book_call). */
export const callBooked = defineTemplate({
  name: 'call_booked',
  description: 'A call with a support engineer was booked.',
  variables: z.object({
    booking_id: z.string().min(1),
    engineer_name: engineerName,
    start: instant,
    duration_minutes: z.number().int().min(5).max(240).default(30),
  }),
  render: (v, context) => ({
    subject: `Your call with ${v.engineer_name} is booked for ${formatDateTime(v.start, context.contact.timezone)}`,
    blocks: [
      {
        kind: 'paragraph',
        text: `Your support call is booked. ${v.engineer_name} will call you at the time below.`,
      },
      {
        kind: 'facts',
        rows: [
          ['When', formatDateTime(v.start, context.contact.timezone)],
          ['Length', `${v.duration_minutes} minutes`],
          ['With', v.engineer_name],
          ['Booking reference', v.booking_id],
        ],
      },
      { kind: 'paragraph', text: 'Need another time? Reply to this email and we will move it.' },
    ],
  }),
});

/** Confirmation of a moved call (calendar.reschedule_call). */
export const callRescheduled = defineTemplate({
  name: 'call_rescheduled',
  description: 'A booked call was moved to a new time.',
  variables: z.object({
    booking_id: z.string().min(1),
    engineer_name: engineerName,
    start: instant,
    previous_start: instant.optional(),
  }),
  render: (v, context) => ({
    subject: `Your call has been rescheduled to ${formatDateTime(v.start, context.contact.timezone)}`,
    blocks: [
      { kind: 'paragraph', text: `Your call with ${v.engineer_name} has been moved.` },
      {
        kind: 'facts',
        rows: [
          ['New time', formatDateTime(v.start, context.contact.timezone)],
          ...(v.previous_start
            ? [['Previously', formatDateTime(v.previous_start, context.contact.timezone)] as [string, string]]
            : []),
          ['Booking reference', v.booking_id],
        ],
      },
    ],
  }),
});

/** Confirmation of a cancelled call (calendar.cancel_call). */
export const callCancelled = defineTemplate({
  name: 'call_cancelled',
  description: 'A booked call was cancelled.',
  variables: z.object({
    booking_id: z.string().min(1),
    engineer_name: engineerName.optional(),
    start: instant.optional(),
  }),
  render: (v, context) => ({
    subject: 'Your call has been cancelled',
    blocks: [
      {
        kind: 'paragraph',
        text: `Your call${v.engineer_name ? ` with ${v.engineer_name}` : ''}${v.start ? ` on ${formatDateTime(v.start, context.contact.timezone)}` : ''} has been cancelled. Reply to this email if you would like to book a new one.`,
      },
      { kind: 'facts', rows: [['Booking reference', v.booking_id]] },
    ],
  }),
});
