import { describe, expect, it } from 'vitest';
import {
  candidateSlots,
  findFreeSlots,
  isWithinWorkingHours,
  parseInstant,
  subtractInterval,
  toUtcIso,
  toZonedIso,
} from './availability.ts';
import type { Engineer } from './types.ts';

const berlin: Engineer = {
  id: 'eng_b',
  name: 'Berta',
  email: 'berta@lumen.example',
  timezone: 'Europe/Berlin',
  hoursStart: '09:00',
  hoursEnd: '11:00',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
};
const newYork: Engineer = {
  ...berlin,
  id: 'eng_n',
  name: 'Nate',
  timezone: 'America/New_York',
  days: ['tue'],
};

const at = (iso: string) => new Date(iso);

describe('candidateSlots', () => {
  it('walks working hours in the engineer’s own time zone, skipping days off', () => {
    // Fri 2026-11-20 .. Mon 2026-11-23; Berlin is UTC+1 in November.
    const slots = candidateSlots(
      berlin,
      { start: at('2026-11-20T00:00:00Z'), end: at('2026-11-24T00:00:00Z') },
      30,
    );
    expect(slots.map((slot) => toUtcIso(slot.start))).toEqual([
      '2026-11-20T08:00:00Z',
      '2026-11-20T08:30:00Z',
      '2026-11-20T09:00:00Z',
      '2026-11-20T09:30:00Z',
      '2026-11-23T08:00:00Z',
      '2026-11-23T08:30:00Z',
      '2026-11-23T09:00:00Z',
      '2026-11-23T09:30:00Z',
    ]);
  });

  it('keeps local hours across a DST change', () => {
    // Berlin leaves summer time on Sun 2026-10-25: 09:00 is 07:00Z before, 08:00Z after.
    const slots = candidateSlots(
      berlin,
      { start: at('2026-10-23T00:00:00Z'), end: at('2026-10-27T00:00:00Z') },
      60,
    );
    expect(slots.map((slot) => toUtcIso(slot.start))).toEqual([
      '2026-10-23T07:00:00Z',
      '2026-10-23T07:30:00Z',
      '2026-10-23T08:00:00Z',
      '2026-10-26T08:00:00Z',
      '2026-10-26T08:30:00Z',
      '2026-10-26T09:00:00Z',
    ]);
  });

  it('only returns slots that fit entirely in the window', () => {
    const slots = candidateSlots(
      berlin,
      { start: at('2026-11-20T08:10:00Z'), end: at('2026-11-20T09:30:00Z') },
      30,
    );
    expect(slots.map((slot) => toUtcIso(slot.start))).toEqual([
      '2026-11-20T08:30:00Z',
      '2026-11-20T09:00:00Z',
    ]);
  });

  it('treats 24:00 as the end of the day', () => {
    const lateShift = { ...berlin, hoursStart: '23:00', hoursEnd: '24:00' };
    const slots = candidateSlots(
      lateShift,
      { start: at('2026-11-20T00:00:00Z'), end: at('2026-11-21T00:00:00Z') },
      30,
    );
    expect(slots.map((slot) => toUtcIso(slot.start))).toEqual([
      '2026-11-20T22:00:00Z',
      '2026-11-20T22:30:00Z',
    ]);
  });
});

describe('isWithinWorkingHours', () => {
  it('accepts a call inside hours and rejects one that runs past closing or falls on a day off', () => {
    expect(isWithinWorkingHours(berlin, at('2026-11-20T09:30:00Z'), at('2026-11-20T10:00:00Z'))).toBe(true);
    expect(isWithinWorkingHours(berlin, at('2026-11-20T09:45:00Z'), at('2026-11-20T10:15:00Z'))).toBe(false);
    expect(isWithinWorkingHours(berlin, at('2026-11-20T07:30:00Z'), at('2026-11-20T08:00:00Z'))).toBe(false);
    expect(isWithinWorkingHours(berlin, at('2026-11-21T08:00:00Z'), at('2026-11-21T08:30:00Z'))).toBe(false);
  });
});

describe('findFreeSlots', () => {
  const window = { start: at('2026-11-23T00:00:00Z'), end: at('2026-11-25T00:00:00Z') };

  it('leaves out slots that overlap busy time', () => {
    const busy = new Map([
      ['eng_b', [{ start: at('2026-11-23T08:15:00Z'), end: at('2026-11-23T09:00:00Z') }]],
    ]);
    const slots = findFreeSlots({ engineers: [berlin], busy, window, durationMinutes: 30, limit: 3 });
    expect(slots.map((slot) => toUtcIso(slot.start))).toEqual([
      '2026-11-23T09:00:00Z',
      '2026-11-23T09:30:00Z',
      '2026-11-24T08:00:00Z',
    ]);
  });

  it('orders by distance to the preferred time across engineers', () => {
    // Nate works Tuesdays 09:00-11:00 New York = 14:00-16:00Z.
    const slots = findFreeSlots({
      engineers: [berlin, newYork],
      busy: new Map(),
      window,
      durationMinutes: 30,
      preferred: at('2026-11-24T15:00:00Z'),
      limit: 3,
    });
    expect(slots.map((slot) => `${slot.engineer.id} ${toUtcIso(slot.start)}`)).toEqual([
      'eng_n 2026-11-24T15:00:00Z',
      'eng_n 2026-11-24T14:30:00Z',
      'eng_n 2026-11-24T15:30:00Z',
    ]);
  });
});

describe('subtractInterval', () => {
  it('removes the booking’s own range from a merged busy block', () => {
    const busy = [{ start: at('2026-11-23T08:00:00Z'), end: at('2026-11-23T09:30:00Z') }];
    const own = { start: at('2026-11-23T08:30:00Z'), end: at('2026-11-23T09:00:00Z') };
    expect(subtractInterval(busy, own).map((block) => [toUtcIso(block.start), toUtcIso(block.end)])).toEqual([
      ['2026-11-23T08:00:00Z', '2026-11-23T08:30:00Z'],
      ['2026-11-23T09:00:00Z', '2026-11-23T09:30:00Z'],
    ]);
  });
});

describe('parseInstant', () => {
  it('reads a local time in the given zone and keeps an explicit offset', () => {
    expect(toUtcIso(parseInstant('2026-11-24T09:00', 'Europe/Berlin'))).toBe('2026-11-24T08:00:00Z');
    expect(toUtcIso(parseInstant('2026-11-24T09:00:00-05:00', 'Europe/Berlin'))).toBe('2026-11-24T14:00:00Z');
    expect(toZonedIso(at('2026-11-24T14:00:00Z'), 'Asia/Tokyo')).toBe('2026-11-24T23:00:00+09:00');
    expect(() => parseInstant('tuesday at 3', 'UTC')).toThrow(RangeError);
  });
});
