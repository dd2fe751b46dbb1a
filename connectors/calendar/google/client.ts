import { calendar } from '@googleapis/calendar';
import { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import type { Interval } from '../types.ts';
import { mapGoogleError, statusOf } from './errors.ts';

/** How the client gets and renews its OAuth access token (the credentials vault's token manager). */
export interface GoogleCalendarAuth {
  getAccessToken: () => Promise<string>;
  /** Called on a 401 so the token manager refreshes before the pipeline's retry. */
  onUnauthorized: () => void;
}

/** A calendar event as we use it. */
export interface CalendarEvent {
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  start: Date;
  end: Date;
}

/** The event fields we send. */
export interface EventInput {
  id: string;
  start: Date;
  end: Date;
  timeZone: string;
  summary: string;
  attendees: string[];
}

/** Per calendar: its busy blocks, or why Google could not tell. */
export type FreeBusyResult = Map<string, { busy: Interval[]; error?: string }>;

// Minimal schemas: only the fields we read. Everything else in Google's responses is ignored.
const eventTimeSchema = z.object({ dateTime: z.string().optional(), date: z.string().optional() });
const eventSchema = z.object({
  id: z.string(),
  status: z.enum(['confirmed', 'tentative', 'cancelled']).default('confirmed'),
  start: eventTimeSchema,
  end: eventTimeSchema,
});
const freeBusySchema = z.object({
  calendars: z.record(
    z.string(),
    z.object({
      busy: z.array(z.object({ start: z.string(), end: z.string() })).default([]),
      errors: z.array(z.object({ reason: z.string() })).optional(),
    }),
  ),
});

function toEvent(data: unknown): CalendarEvent {
  const parsed = eventSchema.safeParse(data);
  if (!parsed.success) throw new ConnectorError('permanent', 'Google Calendar returned a malformed event');
  const when = (time: z.infer<typeof eventTimeSchema>) => new Date(time.dateTime ?? time.date ?? Number.NaN);
  const event = {
    id: parsed.data.id,
    status: parsed.data.status,
    start: when(parsed.data.start),
    end: when(parsed.data.end),
  };
  if (Number.isNaN(event.start.getTime()) || Number.isNaN(event.end.getTime())) {
    throw new ConnectorError('permanent', 'Google Calendar returned an event without valid times');
  }
  return event;
}

const eventBody = (event: Pick<EventInput, 'start' | 'end' | 'timeZone'>) => ({
  start: { dateTime: event.start.toISOString(), timeZone: event.timeZone },
  end: { dateTime: event.end.toISOString(), timeZone: event.timeZone },
});

/**
 * The only module that talks to Google Calendar v3: bearer auth per request, error mapping, and
 * response parsing. Retries are the pipeline's job, so gaxios' own retry is off.
 */
export function createGoogleCalendarClient(
  options: GoogleCalendarAuth & { rootUrl?: string; timeoutMs?: number },
) {
  const api = calendar({ version: 'v3', ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}) });

  async function send<T>(
    signal: AbortSignal,
    request: (init: {
      headers: Record<string, string>;
      retry: false;
      signal: AbortSignal;
      timeout: number;
    }) => Promise<{ data: T }>,
  ): Promise<T> {
    const token = await options.getAccessToken();
    try {
      const response = await request({
        headers: { Authorization: `Bearer ${token}` },
        retry: false,
        signal,
        timeout: options.timeoutMs ?? 10_000,
      });
      return response.data;
    } catch (error) {
      throw mapGoogleError(error, options.onUnauthorized);
    }
  }

  return {
    /** Busy blocks of each calendar in the window. */
    async freeBusy(calendarIds: string[], window: Interval, signal: AbortSignal): Promise<FreeBusyResult> {
      // https://developers.google.com/calendar/api/v3/reference/freebusy/query
      const data = await send(signal, (init) =>
        api.freebusy.query(
          {
            requestBody: {
              timeMin: window.start.toISOString(),
              timeMax: window.end.toISOString(),
              items: calendarIds.map((id) => ({ id })),
            },
          },
          init,
        ),
      );
      const parsed = freeBusySchema.safeParse(data);
      if (!parsed.success)
        throw new ConnectorError('permanent', 'Google Calendar returned a malformed free/busy answer');
      const result: FreeBusyResult = new Map();
      for (const id of calendarIds) {
        const entry = parsed.data.calendars[id];
        if (!entry) {
          result.set(id, { busy: [], error: 'missing' });
          continue;
        }
        const busy = entry.busy.map((block) => ({ start: new Date(block.start), end: new Date(block.end) }));
        result.set(id, entry.errors?.length ? { busy, error: entry.errors[0]!.reason } : { busy });
      }
      return result;
    },

    /** Inserts an event with our id; `duplicate` when an event with that id already exists. */
    async insertEvent(
      calendarId: string,
      event: EventInput,
      signal: AbortSignal,
    ): Promise<CalendarEvent | 'duplicate'> {
      try {
        // https://developers.google.com/calendar/api/v3/reference/events/insert
        const data = await send(signal, (init) =>
          api.events.insert(
            {
              calendarId,
              // Our confirmation email is the invitation: one message per completed procedure.
              sendUpdates: 'none',
              requestBody: {
                id: event.id,
                summary: event.summary,
                ...eventBody(event),
                attendees: event.attendees.map((email) => ({ email })),
              },
            },
            init,
          ),
        );
        return toEvent(data);
      } catch (error) {
        if (error instanceof ConnectorError && statusOf(error.cause) === 409) return 'duplicate';
        throw error;
      }
    },

    /** The event, or null when Google has no such event. */
    async getEvent(calendarId: string, eventId: string, signal: AbortSignal): Promise<CalendarEvent | null> {
      try {
        // https://developers.google.com/calendar/api/v3/reference/events/get
        return toEvent(await send(signal, (init) => api.events.get({ calendarId, eventId }, init)));
      } catch (error) {
        if (error instanceof ConnectorError && error.kind === 'not_found') return null;
        throw error;
      }
    },

    /** Moves the event to a new time. */
    async patchEvent(
      calendarId: string,
      eventId: string,
      times: Pick<EventInput, 'start' | 'end' | 'timeZone'>,
      signal: AbortSignal,
    ): Promise<CalendarEvent> {
      // https://developers.google.com/calendar/api/v3/reference/events/patch
      const data = await send(signal, (init) =>
        api.events.patch({ calendarId, eventId, sendUpdates: 'none', requestBody: eventBody(times) }, init),
      );
      return toEvent(data);
    },

    /** Deletes the event; `already_gone` when Google answers 410 Gone or 404. */
    async deleteEvent(
      calendarId: string,
      eventId: string,
      signal: AbortSignal,
    ): Promise<'deleted' | 'already_gone'> {
      try {
        // https://developers.google.com/calendar/api/v3/reference/events/delete
        await send(signal, (init) => api.events.delete({ calendarId, eventId, sendUpdates: 'none' }, init));
        return 'deleted';
      } catch (error) {
        const status = error instanceof ConnectorError ? statusOf(error.cause) : undefined;
        if (status === 404 || status === 410) return 'already_gone';
        throw error;
      }
    },
  };
}

/** The client's interface, for the backend and tests. */
export type GoogleCalendarClient = ReturnType<typeof createGoogleCalendarClient>;
