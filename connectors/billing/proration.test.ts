import { describe, expect, it } from 'vitest';
import { prorate } from './proration.ts';

describe('prorate', () => {
  it('charges the price difference for the days left in the period', () => {
    // Pro → Business with 11 of 30 days left: 40000 × 11 / 30 = 14666.67.
    const result = prorate({
      fromPriceCents: 9_900,
      toPriceCents: 49_900,
      periodStart: '2026-11-01',
      periodEnd: '2026-12-01',
      today: '2026-11-20',
    });
    expect(result).toEqual({ days_in_period: 30, days_remaining: 11, amount_cents: 14_667 });
  });

  it('credits a downgrade as the mirror image of the upgrade', () => {
    const result = prorate({
      fromPriceCents: 49_900,
      toPriceCents: 9_900,
      periodStart: '2026-11-01',
      periodEnd: '2026-12-01',
      today: '2026-11-20',
    });
    expect(result.amount_cents).toBe(-14_667);
  });

  it('takes the month before the period end when the start is unknown', () => {
    const result = prorate({
      fromPriceCents: 2_900,
      toPriceCents: 9_900,
      periodStart: null,
      periodEnd: '2026-03-01',
      today: '2026-02-15',
    });
    expect(result).toEqual({ days_in_period: 28, days_remaining: 14, amount_cents: 3_500 });
  });

  it('charges nothing on the last day and the full difference on the first', () => {
    const base = {
      fromPriceCents: 0,
      toPriceCents: 9_900,
      periodStart: '2026-11-01',
      periodEnd: '2026-12-01',
    };
    expect(prorate({ ...base, today: '2026-12-01' }).amount_cents).toBe(0);
    expect(prorate({ ...base, today: '2026-12-05' }).days_remaining).toBe(0);
    expect(prorate({ ...base, today: '2026-11-01' }).amount_cents).toBe(9_900);
    expect(prorate({ ...base, today: '2026-10-20' }).days_remaining).toBe(30);
  });

  it('refuses a malformed date', () => {
    expect(() =>
      prorate({
        fromPriceCents: 0,
        toPriceCents: 1,
        periodStart: null,
        periodEnd: 'soon',
        today: '2026-11-01',
      }),
    ).toThrow(/not a date/);
  });
});
