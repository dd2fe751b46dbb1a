import { describe, expect, it } from 'vitest';
import { preferredInstant } from './calendar-shared.ts';
import { monthOf } from './invoice-by-facts.ts';
import type { ProcedureContext } from './procedure.ts';

const now = new Date('2026-11-20T09:00:00Z');

describe('monthOf (issue #19, pattern 9)', () => {
  it('reads a month name as the latest such month not in the future', () => {
    expect(monthOf('can I have the invoice from Aug?', now, 'UTC')).toEqual({ year: 2026, month: 8 });
    expect(monthOf('the December receipt please', now, 'UTC')).toEqual({ year: 2025, month: 12 });
  });

  it('reads relative months in the customer time zone', () => {
    expect(monthOf("last month's bill", now, 'UTC')).toEqual({ year: 2026, month: 10 });
    expect(monthOf('the charge from this month', new Date('2026-11-30T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      year: 2026,
      month: 12,
    });
  });

  it('does not take the verb "may" for May', () => {
    expect(monthOf('we may need a copy for accounting', now, 'UTC')).toBeUndefined();
    expect(monthOf('the May invoice', now, 'UTC')).toEqual({ year: 2026, month: 5 });
  });
});

describe('preferredInstant', () => {
  const context = { customer: { timezone: 'Europe/Berlin' } } as ProcedureContext;

  it("keeps a moved call's own time of day when only a day was named", () => {
    // The call was at 16:30 Berlin time; moved to 2 Dec it stays at 16:30 (15:30 UTC).
    expect(preferredInstant(context, '2026-12-02', '2026-11-23T15:30:00Z')).toBe('2026-12-02T15:30:00Z');
  });

  it('starts a new call on a named day at 09:00 local, and leaves an instant as it is', () => {
    expect(preferredInstant(context, '2026-12-02')).toBe('2026-12-02T08:00:00Z');
    expect(preferredInstant(context, '2026-12-02T13:00:00Z', '2026-11-23T15:30:00Z')).toBe(
      '2026-12-02T13:00:00Z',
    );
  });
});
