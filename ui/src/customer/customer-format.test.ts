import { describe, expect, it } from 'vitest';
import { describeAction, resultCard } from './action-summary.ts';
import { formatDuration, formatMoney, formatWhen } from './customer-format.ts';
import { customerI18n } from './i18n.ts';

// Intl output uses narrow no-break spaces in places: compare with them as plain spaces.
const plain = (text: string | null) => text?.replace(/[\u00a0\u202f]/g, ' ') ?? null;

describe('formatMoney', () => {
  it('shows cents as money in the locale', () => {
    expect(plain(formatMoney(9900, 'en'))).toBe('$99.00');
    expect(plain(formatMoney(49_900, 'de'))).toBe('499,00 $');
    expect(plain(formatMoney(1250, 'de', 'eur'))).toBe('12,50 €');
  });

  it('falls back to US dollars for a code that is not a currency', () => {
    expect(plain(formatMoney(100, 'en', 'dollars'))).toBe('$1.00');
  });
});

describe('formatWhen', () => {
  it('shows an instant in the customer’s time zone with its name, never as UTC', () => {
    const instant = '2026-12-08T14:00:00.000Z';
    expect(plain(formatWhen(instant, 'en', 'America/New_York'))).toBe('Tue, Dec 8, 2026, 9:00 AM EST');
    expect(plain(formatWhen(instant, 'de', 'Europe/Berlin'))).toBe('Di., 8. Dez. 2026, 15:00 MEZ');
  });

  it('shows a calendar date as that date wherever the customer is', () => {
    expect(plain(formatWhen('2026-12-08', 'en', 'Pacific/Honolulu'))).toBe('Tue, Dec 8, 2026');
  });

  it('returns null for anything that is not a date', () => {
    expect(formatWhen('next Tuesday', 'en', 'UTC')).toBeNull();
    expect(formatWhen('2026-13-45T99:00:00Z', 'en', 'UTC')).toBeNull();
  });
});

describe('formatDuration', () => {
  it('picks the largest whole unit', () => {
    expect(formatDuration(120, 'en')).toBe('2 hours');
    expect(formatDuration(90, 'en')).toBe('90 minutes');
    expect(formatDuration(1440, 'en')).toBe('1 day');
    expect(formatDuration(120, 'de')).toBe('2 Stunden');
  });
});

describe('describeAction', () => {
  const en = { t: customerI18n.getFixedT('en', 'customer'), locale: 'en', timeZone: 'Europe/Berlin' };
  const de = { t: customerI18n.getFixedT('de', 'customer'), locale: 'de', timeZone: 'Europe/Berlin' };

  it('says a refund with its amount as money, never the payment id or cents', () => {
    const refund = {
      connector: 'billing',
      operation: 'refund_payment',
      input: { payment_id: 'pay_123abc', amount_cents: 9900, reason: 'duplicate_charge' },
    };
    expect(describeAction(refund, en)).toBe('Refund $99.00 to your card');
    expect(plain(describeAction(refund, de))).toBe('99,00 $ auf Ihre Karte erstatten');
  });

  it('says a booking at the customer’s local time', () => {
    const booking = {
      connector: 'calendar',
      operation: 'book',
      input: { engineer_id: 'eng_7', start: '2026-12-08T14:00:00.000Z' },
    };
    expect(plain(describeAction(booking, en))).toBe('Book a call on Tue, Dec 8, 2026, 3:00 PM GMT+1');
  });

  it('falls back to a sentence without details, and never shows an unknown operation’s fields', () => {
    expect(describeAction({ connector: 'billing', operation: 'refund_payment' }, en)).toBe(
      'Refund the payment to your card',
    );
    const unknown = describeAction(
      { connector: 'x', operation: 'purge_things', input: { thing_id: 'th_1', limit_cents: 20000 } },
      en,
    );
    expect(unknown).toBe('Make this change to your account');
    expect(
      describeAction({ connector: 'billing', operation: 'change_plan', input: { plan: 'business' } }, en),
    ).toBe('Change your subscription to the Business plan');
  });
});

describe('resultCard', () => {
  const en = { t: customerI18n.getFixedT('en', 'customer'), locale: 'en', timeZone: 'America/New_York' };

  it('fills a refund card from the confirmed amount', () => {
    const card = resultCard(
      'refund_payment',
      {
        connector: 'billing',
        operation: 'refund_payment',
        input: { payment_id: 'pay_1', amount_cents: 4990 },
      },
      'Done — refunded.',
      en,
    );
    expect(card).toEqual({ title: 'Refund issued', rows: [{ label: 'Amount', value: '$49.90' }] });
  });

  it('fills a booking card with the local time, and names no booking id', () => {
    const card = resultCard(
      'book',
      {
        connector: 'calendar',
        operation: 'book',
        input: { engineer_id: 'eng_1', start: '2026-12-08T14:00:00Z' },
      },
      'Booked: bk_9f8e7d.',
      en,
    );
    expect(card?.title).toBe('Booking confirmed');
    expect(plain(card!.rows[0]!.value)).toBe('Tue, Dec 8, 2026, 9:00 AM EST');
    expect(JSON.stringify(card)).not.toContain('bk_');
  });

  it('shows the ticket number a reply names, and a plain "Done." when nothing else is known', () => {
    expect(resultCard('create_ticket', undefined, 'I opened TCK-1042 for you.', en)?.rows).toEqual([
      { label: 'Reference', value: 'TCK-1042' },
    ]);
    expect(resultCard('retry_payment', undefined, '', en)).toEqual({
      title: 'Payment retried',
      rows: [{ label: '', value: 'Done.' }],
    });
  });

  it('has no card for reads', () => {
    expect(resultCard('get_invoice', undefined, '', en)).toBeNull();
  });
});
