import { createHash } from 'node:crypto';

const base32hexAlphabet = '0123456789abcdefghijklmnopqrstuv';

/** Lowercase base32hex (RFC 4648 §7) of the bytes, without padding. */
export function toBase32hex(bytes: Uint8Array): string {
  let output = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += base32hexAlphabet[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) output += base32hexAlphabet[(buffer << (5 - bits)) & 31];
  return output;
}

/**
 * The calendar event id for a booking made under `idempotencyKey`: 52 base32hex characters, as
 * Google Calendar requires of client-chosen ids (a–v, 0–9, 5–1024 long). The same key always gives
 * the same id, so a retried insert is answered "409 duplicate" instead of creating a second event.
 * https://developers.google.com/calendar/api/v3/reference/events/insert (the `id` property)
 */
export const eventIdFor = (idempotencyKey: string): string =>
  toBase32hex(createHash('sha256').update(`calendar-event:${idempotencyKey}`).digest());
