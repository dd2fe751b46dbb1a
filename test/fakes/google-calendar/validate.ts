/**
 * Request-body checks of the fake, written from the Calendar v3 reference:
 * - freeBusy.query: https://developers.google.com/calendar/api/v3/reference/freebusy/query
 * - Event resource: https://developers.google.com/calendar/api/v3/reference/events#resource
 * - events.insert (client-chosen `id` rules): https://developers.google.com/calendar/api/v3/reference/events/insert
 * Each check returns the Google error reason and message, or null when the body is valid.
 */

export interface BodyProblem {
  reason: string;
  message: string;
}

type Json = Record<string, unknown>;

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const rfc3339Local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const date = /^\d{4}-\d{2}-\d{2}$/;
/** "characters allowed in the ID are those used in base32hex encoding, i.e. lowercase letters a-v and digits 0-9 … between 5 and 1024 characters" */
export const eventIdPattern = /^[a-v0-9]{5,1024}$/;
const email = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const invalid = (message: string, reason = 'invalid'): BodyProblem => ({ reason, message });

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An EventDateTime: `date` (all-day) or `dateTime` (RFC 3339; an offset is required unless `timeZone` is given). */
export function eventTimeInstant(value: unknown, field: string): { instant: number } | BodyProblem {
  if (!isObject(value)) return invalid(`Missing ${field} time.`, 'required');
  if (value.timeZone !== undefined && (typeof value.timeZone !== 'string' || !isTimeZone(value.timeZone))) {
    return invalid(`Invalid time zone definition for ${field} time.`);
  }
  if (typeof value.dateTime === 'string') {
    if (rfc3339.test(value.dateTime)) return { instant: Date.parse(value.dateTime) };
    if (rfc3339Local.test(value.dateTime)) {
      if (typeof value.timeZone !== 'string') {
        return invalid(`Missing time zone definition for ${field} time.`, 'required');
      }
      // Wall-clock time in a named zone: the fake only needs it for ordering, UTC is close enough.
      return { instant: Date.parse(`${value.dateTime}Z`) };
    }
    return invalid(`Invalid value for: ${field}.dateTime`);
  }
  if (typeof value.date === 'string' && date.test(value.date))
    return { instant: Date.parse(`${value.date}T00:00:00Z`) };
  return invalid(`Missing ${field} time.`, 'required');
}

/** freeBusy.query request body: timeMin, timeMax (RFC 3339), items[{id}]. */
export function validateFreeBusyBody(body: unknown): BodyProblem | null {
  if (!isObject(body)) return invalid('Parse Error', 'parseError');
  for (const field of ['timeMin', 'timeMax'] as const) {
    const value = body[field];
    if (value === undefined) return invalid(`Missing ${field}.`, 'required');
    if (typeof value !== 'string' || !rfc3339.test(value)) return invalid(`Invalid value for: ${field}`);
  }
  if (Date.parse(body.timeMax as string) <= Date.parse(body.timeMin as string)) {
    return invalid('The specified time range is empty.', 'timeRangeEmpty');
  }
  if (!Array.isArray(body.items)) return invalid('Missing items.', 'required');
  if (body.items.length > 50) return invalid('Too many calendars requested.', 'tooManyCalendarsRequested');
  for (const item of body.items) {
    if (!isObject(item) || typeof item.id !== 'string' || item.id === '')
      return invalid('Invalid value for: items.id');
  }
  return null;
}

/** An Event body for insert (`requireTimes`) or patch. */
export function validateEventBody(body: unknown, requireTimes: boolean): BodyProblem | null {
  if (!isObject(body)) return invalid('Parse Error', 'parseError');
  if (body.id !== undefined && (typeof body.id !== 'string' || !eventIdPattern.test(body.id))) {
    return invalid('Invalid resource id value.');
  }
  if (body.summary !== undefined && typeof body.summary !== 'string')
    return invalid('Invalid value for: summary');
  if (body.extendedProperties !== undefined) {
    const properties = body.extendedProperties;
    if (!isObject(properties)) return invalid('Invalid value for: extendedProperties');
    for (const scope of ['private', 'shared']) {
      const values = properties[scope];
      if (values === undefined) continue;
      if (!isObject(values) || Object.values(values).some((value) => typeof value !== 'string'))
        return invalid(`Invalid value for: extendedProperties.${scope}`);
    }
  }
  if (body.attendees !== undefined) {
    if (!Array.isArray(body.attendees)) return invalid('Invalid value for: attendees');
    for (const attendee of body.attendees) {
      if (!isObject(attendee) || typeof attendee.email !== 'string' || !email.test(attendee.email)) {
        return invalid('Invalid attendee email.');
      }
    }
  }
  if (requireTimes || body.start !== undefined || body.end !== undefined) {
    const start = eventTimeInstant(body.start, 'start');
    if ('reason' in start) return start;
    const end = eventTimeInstant(body.end, 'end');
    if ('reason' in end) return end;
    if (end.instant <= start.instant) return invalid('The specified time range is empty.', 'timeRangeEmpty');
  }
  return null;
}
