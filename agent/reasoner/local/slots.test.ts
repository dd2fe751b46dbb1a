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
