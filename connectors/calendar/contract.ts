import { z } from 'zod';
import { defineContract } from '../core/contract.ts';
import { bookingSchema, isoBoundInput, isoDateTimeInput, slotSchema } from './types.ts';

const bookInput = z.object({
  engineer_id: z.string().min(1),
  /** ISO date-time; without an offset it is the engineer's wall-clock time. */
  start: isoDateTimeInput,
  /** Filled by the pipeline from the session. */
  contact_id: z.string().min(1),
  duration_minutes: z.number().int().min(15).max(120).default(30),
  topic: z.string().max(200).optional(),
});

const cancelInput = z.object({ booking_id: z.string().min(1) });

const findSlotsInput = z.object({
  /** Filled by the pipeline from the session: whose time zone the slots are shown in. */
  contact_id: z.string().min(1).optional(),
  engineer_id: z.string().min(1).optional(),
  from: isoBoundInput.optional(),
  to: isoBoundInput.optional(),
  preferred_time: isoDateTimeInput.optional(),
  duration_minutes: z.number().int().min(15).max(120).default(30),
  limit: z.number().int().min(1).max(20).default(5),
});

const findSlotsOutput = z.object({ slots: z.array(slotSchema), timezone: z.string().optional() });

const listBookingsInput = z.object({
  /** Filled by the pipeline from the session: only the customer's own bookings. */
  contact_id: z.string().min(1),
  include_past: z.boolean().default(false),
  include_cancelled: z.boolean().default(false),
});

const listBookingsOutput = z.object({ bookings: z.array(bookingSchema.extend({ upcoming: z.boolean() })) });

const rescheduleInput = z.object({
  booking_id: z.string().min(1),
  /** ISO date-time; without an offset it is the engineer's wall-clock time. */
  start: isoDateTimeInput,
});

/** The calendar contract: its operations, declared once; backends implement them, callers name them. */
export const calendar = {
  book: defineContract({
    connector: 'calendar',
    name: 'book',
    description: 'Book a call with a support engineer at a free slot returned by find_slots.',
    effect: 'write',
    input: bookInput,
    output: bookingSchema,
    idempotencyKey: (args) => `calendar.book:${args.engineer_id}:${args.start}:${args.contact_id}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
  }),
  cancel: defineContract({
    connector: 'calendar',
    name: 'cancel',
    description: "Cancel one of the customer's booked calls.",
    effect: 'write',
    input: cancelInput,
    output: bookingSchema,
    idempotencyKey: (args) => `calendar.cancel:${args.booking_id}`,
  }),
  findSlots: defineContract({
    connector: 'calendar',
    name: 'find_slots',
    description:
      'Find free 30-minute call slots with a support engineer in the next 14 days, nearest to preferred_time first (ISO date-time).',
    effect: 'read',
    input: findSlotsInput,
    output: findSlotsOutput,
    customerKey: { field: 'contact_id', from: 'contactId' },
    // Free slots reveal nothing about the account; booking one needs a verified identity.
    allowUnverified: true,
  }),
  listBookings: defineContract({
    connector: 'calendar',
    name: 'list_bookings',
    description: "List the customer's own booked calls (upcoming by default) with their booking ids.",
    effect: 'read',
    input: listBookingsInput,
    output: listBookingsOutput,
    cacheable: true,
    customerKey: { field: 'contact_id', from: 'contactId' },
  }),
  reschedule: defineContract({
    connector: 'calendar',
    name: 'reschedule',
    description:
      "Move one of the customer's booked calls to a new start time (a free slot of the same engineer); not within 2 hours of the call.",
    effect: 'write',
    input: rescheduleInput,
    output: bookingSchema,
    idempotencyKey: (args) => `calendar.reschedule:${args.booking_id}:${args.start}`,
  }),
};
