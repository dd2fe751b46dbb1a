import { DateTime } from 'luxon';
import type { Engineer, Interval } from './types.ts';

const weekdayNames = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** How far ahead slots are offered. */
export const bookingHorizonDays = 14;
/** Candidate slots start on this grid from the start of the working day. */
export const slotStepMinutes = 30;

function parseClock(clock: string): { hour: number; minute: number } {
  const [hour, minute] = clock.split(':').map(Number);
  return { hour: hour ?? 0, minute: minute ?? 0 };
}

/** The engineer's working hours on the local calendar day of `day`, or null on a day off. */
export function workingDay(engineer: Engineer, day: DateTime): Interval | null {
  const local = day.setZone(engineer.timezone).startOf('day');
  if (!engineer.days.includes(weekdayNames[local.weekday - 1]!)) return null;
  const opens = parseClock(engineer.hoursStart);
  const closes = parseClock(engineer.hoursEnd);
  const start = local.set(opens);
  // "24:00" is midnight at the end of the day, which `set` cannot express.
  const end = closes.hour === 24 ? local.plus({ days: 1 }) : local.set(closes);
  return { start: start.toJSDate(), end: end.toJSDate() };
}

/** True when [start, end) lies inside one of the engineer's working days. */
export function isWithinWorkingHours(engineer: Engineer, start: Date, end: Date): boolean {
  const day = workingDay(engineer, DateTime.fromJSDate(start));
  return day !== null && start >= day.start && end <= day.end;
}

/** True when the two half-open ranges share any instant. */
export const overlaps = (a: Interval, b: Interval): boolean => a.start < b.end && b.start < a.end;

/**
 * Every slot of `durationMinutes` on the engineer's working-day grid that lies inside `window`.
 * Days are walked in the engineer's zone, so DST changes keep the local hours.
 */
export function candidateSlots(engineer: Engineer, window: Interval, durationMinutes: number): Interval[] {
  const slots: Interval[] = [];
  let day = DateTime.fromJSDate(window.start, { zone: engineer.timezone }).startOf('day');
  const last = DateTime.fromJSDate(window.end, { zone: engineer.timezone });
  while (day <= last) {
    const hours = workingDay(engineer, day);
    if (hours) {
      // Plain millisecond steps from the opening instant: luxon per slot made this the hot path.
      const duration = durationMinutes * 60_000;
      for (
        let start = hours.start.getTime();
        start + duration <= hours.end.getTime();
        start += slotStepMinutes * 60_000
      ) {
        if (start >= window.start.getTime() && start + duration <= window.end.getTime()) {
          slots.push({ start: new Date(start), end: new Date(start + duration) });
        }
      }
    }
    day = day.plus({ days: 1 });
  }
  return slots;
}

/** A free slot of one engineer. */
export interface FreeSlot extends Interval {
  engineer: Engineer;
}

export interface FreeSlotQuery {
  engineers: Engineer[];
  /** Busy ranges per engineer id: confirmed bookings and, with an external calendar, its busy blocks. */
  busy: Map<string, Interval[]>;
  window: Interval;
  durationMinutes: number;
  /** Order by distance to this instant instead of chronologically. */
  preferred?: Date;
  limit: number;
}

/** Free slots across engineers: inside working hours, not overlapping anything busy; nearest first. */
export function findFreeSlots(query: FreeSlotQuery): FreeSlot[] {
  const slots: FreeSlot[] = [];
  for (const engineer of query.engineers) {
    const busy = query.busy.get(engineer.id) ?? [];
    for (const slot of candidateSlots(engineer, query.window, query.durationMinutes)) {
      if (!busy.some((block) => overlaps(slot, block))) slots.push({ ...slot, engineer });
    }
  }
  const preferred = query.preferred?.getTime();
  const distance = (slot: FreeSlot) =>
    preferred === undefined ? slot.start.getTime() : Math.abs(slot.start.getTime() - preferred);
  slots.sort(
    (a, b) =>
      distance(a) - distance(b) ||
      a.start.getTime() - b.start.getTime() ||
      a.engineer.id.localeCompare(b.engineer.id),
  );
  return slots.slice(0, query.limit);
}

/** `busy` minus `own`: the busy blocks that are not the booking being moved. */
export function subtractInterval(busy: Interval[], own: Interval): Interval[] {
  return busy.flatMap((block) => {
    if (!overlaps(block, own)) return [block];
    const pieces: Interval[] = [];
    if (block.start < own.start) pieces.push({ start: block.start, end: own.start });
    if (block.end > own.end) pieces.push({ start: own.end, end: block.end });
    return pieces;
  });
}

/** Formats an instant as UTC ISO without milliseconds: 2026-11-24T14:00:00Z. */
export const toUtcIso = (instant: Date): string =>
  DateTime.fromJSDate(instant).toUTC().toISO({ suppressMilliseconds: true })!;

/** Formats an instant in a zone with its offset: 2026-11-24T15:00:00+01:00. */
export const toZonedIso = (instant: Date, zone: string): string =>
  DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true })!;

/** Reads an ISO date-time; one without an offset is taken as wall-clock time in `zone`. */
export function parseInstant(value: string, zone: string): Date {
  const parsed = DateTime.fromISO(value, { zone });
  if (!parsed.isValid) throw new RangeError(`not an ISO date-time: ${value}`);
  return parsed.toJSDate();
}
