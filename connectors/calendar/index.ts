export { createBuiltinCalendarConnector } from './builtin.ts';
export { createCalendarConnector } from './create-calendar-connector.ts';
export { createGoogleCalendarConnector, type GoogleCalendarConnectorOptions } from './google/connector.ts';
export type { Booking, Engineer, Slot } from './types.ts';
