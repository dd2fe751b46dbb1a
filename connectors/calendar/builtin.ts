import type pg from 'pg';
import type { ConnectorDefinition } from '../core/definition.ts';
import type { CalendarBackend } from './backend.ts';
import { createCalendarConnector } from './create-calendar-connector.ts';

/** Scopes of the built-in calendar (our own names: there are no vendor credentials). */
export const builtinCalendarScopes = { read: ['calendar.read'], write: ['calendar.write'] };

/** The bookings table is the whole calendar: no external events, no other busy time. */
function createBuiltinBackend(db: pg.Pool): CalendarBackend {
  return {
    scopes: builtinCalendarScopes,
    externalBusy: async () => new Map(),
    createEvent: async () => null,
    moveEvent: async () => {},
    deleteEvent: async () => {},
    async check() {
      try {
        const result = await db.query<{ count: string }>('SELECT count(*) AS count FROM engineers');
        return { ok: true, detail: `built-in calendar: ${result.rows[0]?.count ?? 0} engineers` };
      } catch (error) {
        return { ok: false, detail: `built-in calendar: ${(error as Error).message}` };
      }
    },
  };
}

/** The built-in calendar connector: engineers' hours and bookings in our database. */
export function createBuiltinCalendarConnector(options: { db: pg.Pool }): ConnectorDefinition {
  return createCalendarConnector({
    db: options.db,
    backend: createBuiltinBackend(options.db),
    title: 'Calendar (built-in)',
  });
}
