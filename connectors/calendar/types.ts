import { z } from 'zod';

/** A support engineer and the working week they take calls in (engineers table). */
export interface Engineer {
  id: string;
  name: string;
  email: string;
  /** IANA zone the working hours are in. */
  timezone: string;
  /** "09:00" */
  hoursStart: string;
  /** "17:00" ("24:00" means midnight at the end of the day) */
  hoursEnd: string;
  /** ['mon', 'tue', …] */
  days: string[];
}

/** A half-open time range [start, end). */
export interface Interval {
  start: Date;
  end: Date;
}

/** A booked call as stored in the bookings table. */
export interface BookingRecord {
  id: string;
  contactId: string;
  engineerId: string;
  engineerName: string;
  /** The account of the booking's contact (its owner). */
  accountId: string;
  start: Date;
  end: Date;
  status: 'confirmed' | 'cancelled';
  externalEventId: string | null;
}

/** An ISO 8601 date-time; without an offset it is read in the engineer's (or customer's) time zone. */
export const isoDateTimeInput = z.iso.datetime({ offset: true, local: true });
/** An ISO date or date-time bound of a search window. */
export const isoBoundInput = z.union([z.iso.date(), isoDateTimeInput]);

/** A free slot offered to the customer. */
export const slotSchema = z.object({
  engineer_id: z.string(),
  engineer_name: z.string(),
  /** UTC, e.g. 2026-11-24T14:00:00Z */
  start: z.string(),
  end: z.string(),
  /** The start in the customer's time zone (with its offset), when the customer's zone is known. */
  customer_start: z.string().optional(),
  customer_timezone: z.string().optional(),
});
export type Slot = z.infer<typeof slotSchema>;

/** A booking as the agent sees it. */
export const bookingSchema = z.object({
  booking_id: z.string(),
  engineer_id: z.string(),
  engineer_name: z.string(),
  contact_id: z.string(),
  start: z.string(),
  end: z.string(),
  status: z.enum(['confirmed', 'cancelled']),
  customer_start: z.string().optional(),
  customer_timezone: z.string().optional(),
});
export type Booking = z.infer<typeof bookingSchema>;
