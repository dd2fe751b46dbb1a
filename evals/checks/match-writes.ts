import { DateTime } from 'luxon';
import type { ObservedWrite } from '../end-state.ts';
import type { ExpectedWrite } from '../scenario-schema.ts';

/**
 * Whether an observed write is the expected one: same operation, and every expected argument equal
 * (a subset match). `start` compares instants (a value without offset is the engineer's wall-clock
 * time), emails and other text compare case-insensitively, phone numbers by their digits.
 */
export function writeMatches(expected: ExpectedWrite, observed: ObservedWrite): boolean {
  if (expected.op !== observed.op) return false;
  return Object.entries(expected.args).every(([key, value]) =>
    valueMatches(key, value, observed.args[key], observed.zone),
  );
}

function valueMatches(key: string, expected: unknown, actual: unknown, zone: string | undefined): boolean {
  if (actual === undefined || actual === null) return false;
  if (key === 'start' && typeof expected === 'string' && typeof actual === 'string') {
    const expectedInstant = toInstant(expected, zone);
    return expectedInstant !== null && expectedInstant === toInstant(actual, 'UTC');
  }
  if (key === 'phone' && typeof expected === 'string' && typeof actual === 'string') {
    return normalizePhone(expected) === normalizePhone(actual);
  }
  if (typeof expected === 'string' && typeof actual === 'string') {
    return expected.trim().toLowerCase() === actual.trim().toLowerCase();
  }
  return expected === actual;
}

/** Milliseconds since the epoch of an ISO date-time; one without offset is read in `zone`. */
export function toInstant(value: string, zone = 'UTC'): number | null {
  const parsed = DateTime.fromISO(value, { zone });
  return parsed.isValid ? parsed.toMillis() : null;
}

const normalizePhone = (value: string) => value.replace(/[^\d+]/g, '');

/** `billing.refund_payment {payment_id: pay_2, amount_cents: 9900}`, as failure messages show writes. */
export function formatWrite(op: string, args: Record<string, unknown>): string {
  const parts = Object.entries(args)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? `${op} {${parts.join(', ')}}` : op;
}

/** For each expected write, the observed writes it matched; and the observed writes nothing expected. */
export interface WriteMatching {
  matches: Array<{ expected: ExpectedWrite; observed: ObservedWrite[] }>;
  unexpected: ObservedWrite[];
}

export function matchWrites(
  expected: readonly ExpectedWrite[],
  observed: readonly ObservedWrite[],
): WriteMatching {
  const matched = new Set<ObservedWrite>();
  const matches = expected.map((write) => {
    const hits = observed.filter((candidate) => writeMatches(write, candidate));
    for (const hit of hits) matched.add(hit);
    return { expected: write, observed: hits };
  });
  return { matches, unexpected: observed.filter((write) => !matched.has(write)) };
}
