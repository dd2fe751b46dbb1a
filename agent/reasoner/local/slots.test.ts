import { describe, expect, it } from 'vitest';
import { extractSlots, parseTime } from './slots.ts';

const now = new Date('2026-11-20T09:00:00Z'); // a Friday
const berlin = { now, timezone: 'Europe/Berlin' };

describe('extractSlots', () => {
  it('finds ids, amounts and emails', () => {
    expect(extractSlots('Refund inv-1001 please, it was $99.00 (pay_2)', berlin)).toMatchObject({
      invoice_id: 'INV-1001',
      payment_id: 'pay_2',
      amount_cents: '9900',
    });
    expect(extractSlots('my new email is maya.chen@brightpath.io', berlin).email).toBe(
      'maya.chen@brightpath.io',
    );
    expect(extractSlots('status of TCK-1042?', berlin).ticket_id).toBe('TCK-1042');
  });

  it('reads a plan name only when the message is about plans', () => {
    expect(extractSlots('I want to upgrade to the business plan', berlin).plan).toBe('business');
    expect(extractSlots('our business is growing', berlin).plan).toBeUndefined();
    expect(extractSlots('Pro', { ...berlin, expecting: 'plan' }).plan).toBe('pro');
  });

  it('takes a bare answer as the slot that was asked for', () => {
    expect(extractSlots('acct-77', { ...berlin, expecting: 'invoice_id' }).invoice_id).toBe('acct-77');
    expect(extractSlots("I don't know", { ...berlin, expecting: 'invoice_id' }).invoice_id).toBeUndefined();
    expect(extractSlots('+49 30 1234567', { ...berlin, expecting: 'phone' }).phone).toBe('+49 30 1234567');
    expect(extractSlots('Head of Data', { ...berlin, expecting: 'title' }).title).toBe('Head of Data');
  });

  it('finds a new phone number when the message talks about phones', () => {
    expect(extractSlots('please change my phone number to +1 415 555 0100', berlin).phone).toBe(
      '+1 415 555 0100',
    );
  });
});

describe('parseTime', () => {
  it('resolves a weekday and hour in the customer time zone', () => {
    // Tuesday 24 Nov 2026, 15:00 in Berlin (UTC+1) is 14:00 UTC.
    expect(parseTime('next Tuesday at 3pm', berlin)).toBe('2026-11-24T14:00:00Z');
    expect(parseTime('Tuesday at 3pm', { now, timezone: 'America/New_York' })).toBe('2026-11-24T20:00:00Z');
  });

  it('returns nothing when there is no time in the message', () => {
    expect(parseTime('I was charged twice', berlin)).toBeUndefined();
  });
});

describe('target-aware slots (issue #19, pattern 1)', () => {
  it('takes the plan moved to, not the one moved from or stayed on', () => {
    expect(extractSlots('switch us from Business down to Starter', berlin).plan).toBe('starter');
    expect(extractSlots("we're currently on Starter, bump us to Pro", berlin).plan).toBe('pro');
    expect(extractSlots('Business is too pricey, please change us to the Pro plan', berlin).plan).toBe('pro');
  });

  it('takes the plan of a correction or a contrast', () => {
    expect(extractSlots('Change to Starter. Sorry, I meant Pro, not Starter.', berlin).plan).toBe('pro');
    expect(extractSlots('go for Business rather than Pro', berlin).plan).toBe('business');
  });

  it('takes the id asked about, not the one mentioned in passing', () => {
    expect(
      extractSlots('INV-2001 is paid, no problem there, but I need a copy of INV-2002', berlin).invoice_id,
    ).toBe('INV-2002');
    expect(extractSlots('I already got INV-3000 by email; please send INV-3100', berlin).invoice_id).toBe(
      'INV-3100',
    );
    expect(extractSlots('the refund is for INV-4000, not INV-4001', berlin).invoice_id).toBe('INV-4000');
  });

  // Own phrasings (issue #19, third part): the plan held versus the plan wanted.
  it('takes the plan needed, not the one paid for or contrasted away', () => {
    expect(extractSlots("we're paying for Business but only need Starter", berlin).plan).toBe('starter');
    expect(extractSlots('Starter is what we want, not Pro', berlin).plan).toBe('starter');
    expect(extractSlots('Pro is too expensive, put us on Starter', berlin).plan).toBe('starter');
    expect(extractSlots('send INV-1003 rather than INV-1004', berlin).invoice_id).toBe('INV-1003');
    expect(extractSlots('INV-1001 was paid fine, the problem is INV-1005', berlin).invoice_id).toBe(
      'INV-1005',
    );
  });

  it('keeps the only id named', () => {
    expect(extractSlots('please resend INV-5000', berlin).invoice_id).toBe('INV-5000');
  });
});

describe('parseTime: dates and times as people write them (issue #19, pattern 3)', () => {
  it('reads an hour without am/pm as business hours', () => {
    // Thursday 26 Nov, 15:00 in Berlin is 14:00 UTC.
    expect(parseTime('could we do Thursday around 3', berlin)).toBe('2026-11-26T14:00:00Z');
    expect(parseTime('Monday at 11', berlin)).toBe('2026-11-23T10:00:00Z');
  });

  it('reads parts of the day', () => {
    expect(parseTime('Tuesday afternoon works', berlin)).toBe('2026-11-24T13:00:00Z');
    expect(parseTime('tomorrow morning please', berlin)).toBe('2026-11-21T08:00:00Z');
  });

  it('reads day-first dotted dates', () => {
    expect(parseTime('am 1.12. um 10:15', berlin)).toBe('2026-12-01T09:15:00Z');
    expect(parseTime('on 2.12.2026 at 16:00', berlin)).toBe('2026-12-02T15:00:00Z');
  });

  it('reads misspelt day names', () => {
    expect(parseTime('thurday at 10am', berlin)).toBe('2026-11-26T09:00:00Z');
    expect(parseTime('tomorow at 2pm', berlin)).toBe('2026-11-21T13:00:00Z');
  });

  it('takes the day and the hour said last (a correction or a move)', () => {
    expect(parseTime('Friday at 9, no wait, make it 4pm', berlin)).toBe('2026-11-27T15:00:00Z');
    expect(parseTime('the Monday one should be on Thursday 11am instead', berlin)).toBe(
      '2026-11-26T10:00:00Z',
    );
  });

  it('gives the local date alone when no hour was named, for the procedure to complete', () => {
    expect(parseTime('can it move from Tuesday to Friday?', berlin)).toBe('2026-11-27');
    expect(parseTime('next Wednesday', berlin)).toBe('2026-11-25');
  });

  it('finds no time in a story about the past morning', () => {
    expect(parseTime('the charts have been empty since this morning', berlin)).toBeUndefined();
  });
});
