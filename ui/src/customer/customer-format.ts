/**
 * Money, dates and durations for the customer, through `Intl` in the chat's locale and the customer's
 * time zone: a confirmation or a card never shows cents, an ISO instant or a UTC time.
 */

/** `9900` cents → "$99.00" (en) / "99,00 $" (de). An unknown currency code falls back to USD. */
export function formatMoney(cents: number, locale: string, currency = 'USD'): string {
  const code = /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : 'USD';
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: code }).format(cents / 100);
  } catch {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' }).format(cents / 100);
  }
}

/**
 * An instant as the customer reads it: weekday, date and time in their time zone, with the zone's
 * short name ("Tue, Dec 8, 2026, 3:00 PM CET"). Anything that is not a date is returned as null.
 */
export function formatWhen(value: string, locale: string, timeZone: string): string | null {
  const date = new Date(value);
  if (!/\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) return null;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  try {
    return new Intl.DateTimeFormat(locale, {
      weekday: 'short',
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      ...(dateOnly
        ? { timeZone: 'UTC' }
        : { hour: 'numeric', minute: '2-digit', timeZone, timeZoneName: 'short' }),
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

/** Minutes as words: 120 → "2 hours" / "2 Stunden", 90 → "90 minutes", 2880 → "2 days". */
export function formatDuration(minutes: number, locale: string): string {
  const [value, unit] =
    minutes % 1440 === 0 && minutes >= 1440
      ? [minutes / 1440, 'day']
      : minutes % 60 === 0 && minutes >= 60
        ? [minutes / 60, 'hour']
        : [minutes, 'minute'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}
