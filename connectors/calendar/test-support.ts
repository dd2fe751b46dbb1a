import type { OperationContext } from '../core/definition.ts';

/** The clock of the calendar test worlds: Friday 2026-11-20, 10:00 in Berlin. */
export const testNow = new Date('2026-11-20T09:00:00Z');

/**
 * A small world in the eval world format (docs/evals.md): Maya (acc_1, Berlin) and Omar (acc_2, New York), an
 * engineer in Berlin and one in New York, and three bookings.
 */
export const calendarTestWorld = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Northwind', tier: 'starter', region: 'NA' },
  ],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/Berlin',
    },
    {
      id: 'ct_2',
      account: 'acc_2',
      name: 'Omar Haddad',
      email: 'omar@northwind.example',
      timezone: 'America/New_York',
    },
  ],
  engineers: [
    {
      id: 'eng_1',
      name: 'Lena Vogt',
      email: 'lena@lumen.example',
      timezone: 'Europe/Berlin',
      hours: '09:00-17:00',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    },
    {
      id: 'eng_2',
      name: 'Sam Reyes',
      email: 'sam@lumen.example',
      timezone: 'America/New_York',
      hours: '09:00-12:00',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    },
  ],
  bookings: [
    // Omar's call: Monday 09:00 Berlin.
    {
      id: 'bk_omar',
      contact: 'ct_2',
      engineer: 'eng_1',
      start: '2026-11-23T08:00:00Z',
      end: '2026-11-23T08:30:00Z',
      status: 'confirmed',
    },
    // Maya's call next Tuesday, and one starting in an hour.
    {
      id: 'bk_maya',
      contact: 'ct_1',
      engineer: 'eng_1',
      start: '2026-11-24T10:00:00Z',
      end: '2026-11-24T10:30:00Z',
      status: 'confirmed',
    },
    {
      id: 'bk_soon',
      contact: 'ct_1',
      engineer: 'eng_1',
      start: '2026-11-20T10:00:00Z',
      end: '2026-11-20T10:30:00Z',
      status: 'confirmed',
    },
  ],
};

/** Who the tests act for. */
export const maya = { contactId: 'ct_1', accountId: 'acc_1', verified: true };
export const omar = { contactId: 'ct_2', accountId: 'acc_2', verified: true };

/** An operation context as the pipeline would build it. */
export function testContext(
  customer: { contactId: string; accountId: string; verified: boolean },
  options: { idempotencyKey?: string; now?: Date; signal?: AbortSignal } = {},
): OperationContext {
  return {
    session: { conversationId: 'conv_test', actor: 'agent', customer },
    now: () => options.now ?? testNow,
    signal: options.signal ?? new AbortController().signal,
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    policy: { auto_refund_limit_cents: 20000, refund_window_days: 30 },
  };
}
