import type { Engineer, Interval } from './types.ts';

/** What a booking's calendar event is made of. */
export interface EventDraft {
  /** Deterministic per idempotency key, so a retried create finds its own earlier event. */
  eventId: string;
  engineer: Engineer;
  start: Date;
  end: Date;
  summary: string;
  attendeeEmails: string[];
}

/**
 * Where bookings live besides our bookings table. The built-in calendar has nothing else; Google
 * Calendar keeps an event per booking and knows the engineers' other commitments.
 */
export interface CalendarBackend {
  /** Scopes the operations need from this backend's credentials. */
  readonly scopes: { read: string[]; write: string[] };
  /** Busy blocks per engineer id that our bookings table does not know about. */
  externalBusy(
    engineers: Engineer[],
    window: Interval,
    signal: AbortSignal,
  ): Promise<Map<string, Interval[]>>;
  /**
   * Creates the event for a new booking after re-checking the external calendar; returns its id
   * (null when the backend keeps no events). Throws `conflict` when the slot is taken there.
   */
  createEvent(draft: EventDraft, signal: AbortSignal): Promise<string | null>;
  /**
   * Re-checks the external calendar and moves the event (when the booking has one); `current` is
   * the booking's present range, which is not a conflict with itself.
   */
  moveEvent(
    engineer: Engineer,
    eventId: string | null,
    current: Interval,
    next: Interval,
    signal: AbortSignal,
  ): Promise<void>;
  /** Deletes the event; an event that is already gone counts as deleted. */
  deleteEvent(engineer: Engineer, eventId: string, signal: AbortSignal): Promise<void>;
  /**
   * Acquires, before the booking transaction opens, what the calls inside it need (an access token).
   * With the embedded database — one connection — a credential read from the vault inside the
   * transaction would wait for that same connection forever.
   */
  prepare?(signal: AbortSignal): Promise<void>;
  /** Health / who-am-I. */
  check(signal: AbortSignal): Promise<{ ok: true; detail: string } | { ok: false; detail: string }>;
}
