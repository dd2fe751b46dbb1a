const dayMs = 86_400_000;

/** What a plan change costs or credits for the rest of the current billing period. */
export interface Proration {
  days_in_period: number;
  days_remaining: number;
  /** Signed: positive is charged now (upgrade), negative is credited to the next invoice (downgrade). */
  amount_cents: number;
}

/**
 * Prorates the price difference to the day: (new − old) × days remaining ÷ days in the period,
 * rounded half away from zero so an upgrade and the matching downgrade are mirror images.
 * Dates are `YYYY-MM-DD` (UTC); `periodStart` null means the period is the month before `periodEnd`.
 */
export function prorate(options: {
  fromPriceCents: number;
  toPriceCents: number;
  periodStart: string | null;
  periodEnd: string;
  today: string;
}): Proration {
  const end = parseDay(options.periodEnd);
  const start = options.periodStart ? parseDay(options.periodStart) : previousMonth(end);
  const daysInPeriod = Math.max(1, Math.round((end - start) / dayMs));
  const today = parseDay(options.today);
  const daysRemaining = Math.min(daysInPeriod, Math.max(0, Math.round((end - today) / dayMs)));
  const exact = ((options.toPriceCents - options.fromPriceCents) * daysRemaining) / daysInPeriod;
  const amount = Math.sign(exact) * Math.round(Math.abs(exact));
  return {
    days_in_period: daysInPeriod,
    days_remaining: daysRemaining,
    amount_cents: amount === 0 ? 0 : amount,
  };
}

function parseDay(day: string): number {
  const time = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(time)) throw new RangeError(`not a date: ${day}`);
  return time;
}

function previousMonth(time: number): number {
  const date = new Date(time);
  date.setUTCMonth(date.getUTCMonth() - 1);
  return date.getTime();
}
