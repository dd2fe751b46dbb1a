import type pg from 'pg';
import type { ConnectorDefinition } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { overlaps, subtractInterval } from '../availability.ts';
import type { CalendarBackend } from '../backend.ts';
import { createCalendarConnector } from '../create-calendar-connector.ts';
import type { Engineer, Interval } from '../types.ts';
import { createGoogleCalendarClient, type GoogleCalendarClient } from './client.ts';

/** OAuth scopes the operations need: free/busy to read, events to write. */
export const googleCalendarScopes = {
  read: ['https://www.googleapis.com/auth/calendar.freebusy'],
  write: [
    'https://www.googleapis.com/auth/calendar.events',
    'https://www.googleapis.com/auth/calendar.freebusy',
  ],
};

/** Settings of the Google Calendar connector. */
export interface GoogleCalendarConnectorOptions {
  db: pg.Pool;
  /** Google's API root; a local fake in tests. Default https://www.googleapis.com/ */
  rootUrl?: string;
  /** The current OAuth access token (from the credentials vault's token manager). */
  getAccessToken: () => Promise<string>;
  /** Called when Google rejects the token, so the token manager refreshes it (once, single-flight). */
  onUnauthorized: () => void;
  /** Makes sure a token is at hand before a booking transaction opens (see `CalendarBackend.prepare`). */
  prepareAccessToken?: () => Promise<void>;
  /** Which Google calendar holds an engineer's events (usually their email address). */
  calendarIdForEngineer: (engineer: Engineer) => string;
  grantedScopes?: string[];
  timeoutMs?: number;
}

function createGoogleBackend(
  client: GoogleCalendarClient,
  calendarIdFor: (engineer: Engineer) => string,
  prepareAccessToken?: () => Promise<void>,
): CalendarBackend {
  async function busyOf(engineer: Engineer, window: Interval, signal: AbortSignal): Promise<Interval[]> {
    const calendarId = calendarIdFor(engineer);
    const result = (await client.freeBusy([calendarId], window, signal)).get(calendarId);
    if (!result || result.error) {
      throw new ConnectorError(
        'permanent',
        `Google Calendar cannot read ${engineer.name}'s calendar (${result?.error})`,
      );
    }
    return result.busy;
  }

  return {
    scopes: googleCalendarScopes,
    ...(prepareAccessToken ? { prepare: () => prepareAccessToken() } : {}),

    async externalBusy(engineers, window, signal) {
      const calendarIds = new Map(engineers.map((engineer) => [engineer.id, calendarIdFor(engineer)]));
      // freebusy.query takes at most 50 calendars per request.
      const ids = [...new Set(calendarIds.values())];
      const answers = new Map<string, { busy: Interval[]; error?: string }>();
      for (let index = 0; index < ids.length; index += 50) {
        for (const [id, answer] of await client.freeBusy(ids.slice(index, index + 50), window, signal)) {
          answers.set(id, answer);
        }
      }
      const busy = new Map<string, Interval[]>();
      for (const [engineerId, calendarId] of calendarIds) {
        const answer = answers.get(calendarId);
        // A calendar Google cannot read offers no slots: better none than a double booking.
        busy.set(engineerId, !answer || answer.error ? [window] : answer.busy);
      }
      return busy;
    },

    async createEvent(draft, signal) {
      const calendarId = calendarIdFor(draft.engineer);
      const slot = { start: draft.start, end: draft.end };
      const adoptEarlierAttempt = async (): Promise<string | null> => {
        const event = await client.getEvent(calendarId, draft.eventId, signal);
        if (!event || event.status === 'cancelled') return null;
        if (event.start.getTime() !== draft.start.getTime() || event.end.getTime() !== draft.end.getTime()) {
          throw new ConnectorError('conflict', 'an event with this booking id exists at another time');
        }
        return event.id;
      };
      if ((await busyOf(draft.engineer, slot, signal)).some((block) => overlaps(block, slot))) {
        // Busy may be our own event from an attempt whose answer was lost: that one is ours, not a conflict.
        const adopted = await adoptEarlierAttempt();
        if (adopted) return adopted;
        throw new ConnectorError('conflict', 'slot taken');
      }
      const inserted = await client.insertEvent(
        calendarId,
        {
          id: draft.eventId,
          start: draft.start,
          end: draft.end,
          timeZone: draft.engineer.timezone,
          summary: draft.summary,
          attendees: draft.attendeeEmails,
        },
        signal,
      );
      if (inserted !== 'duplicate') return inserted.id;
      // 409: an earlier attempt under the same key already created it, so the booking is already done.
      const adopted = await adoptEarlierAttempt();
      if (!adopted) throw new ConnectorError('conflict', 'this booking id was used by a cancelled event');
      return adopted;
    },

    async moveEvent(engineer, eventId, current, next, signal) {
      const busy = subtractInterval(await busyOf(engineer, next, signal), current);
      if (busy.some((block) => overlaps(block, next))) throw new ConnectorError('conflict', 'slot taken');
      if (eventId) {
        await client.patchEvent(
          calendarIdFor(engineer),
          eventId,
          { ...next, timeZone: engineer.timezone },
          signal,
        );
      }
    },

    async deleteEvent(engineer, eventId, signal) {
      await client.deleteEvent(calendarIdFor(engineer), eventId, signal);
    },

    async check(signal) {
      const now = new Date();
      try {
        const answer = await client.freeBusy(
          ['primary'],
          { start: now, end: new Date(now.getTime() + 60_000) },
          signal,
        );
        const primary = answer.get('primary');
        return primary?.error
          ? { ok: false, detail: `Google Calendar: primary calendar ${primary.error}` }
          : { ok: true, detail: 'Google Calendar: token accepted, free/busy readable' };
      } catch (error) {
        return { ok: false, detail: `Google Calendar: ${(error as Error).message}` };
      }
    },
  };
}

/** The calendar connector backed by Google Calendar; bookings are also recorded in our bookings table. */
export function createGoogleCalendarConnector(options: GoogleCalendarConnectorOptions): ConnectorDefinition {
  const client = createGoogleCalendarClient({
    getAccessToken: options.getAccessToken,
    onUnauthorized: options.onUnauthorized,
    ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  return createCalendarConnector({
    db: options.db,
    backend: createGoogleBackend(client, options.calendarIdForEngineer, options.prepareAccessToken),
    title: 'Google Calendar',
    ...(options.grantedScopes ? { grantedScopes: options.grantedScopes } : {}),
  });
}
