import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import { correctDateWords, extractSlots } from '../../reasoner/local/slots.ts';
import type { SlotDefinition } from './definition.ts';

/** What a slot is read in the light of: the clock, the customer's time zone, whether it was just asked. */
export interface SlotReading {
  now: Date;
  timezone: string;
  /** This slot is the one the agent just asked for (a bare answer counts). */
  expected: boolean;
}

/** Any id when no pattern is declared: a single token with a digit, only as the answer to its question. */
const anyId = /^\s*([A-Za-z0-9][A-Za-z0-9_#./-]{1,63})\s*[.!]?\s*$/;

/** A declared id pattern as a whole token of a message (case-insensitive). */
export const idPattern = (pattern: string): RegExp =>
  new RegExp(`(?<![A-Za-z0-9])(?:${pattern})(?![A-Za-z0-9])`, 'i');

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A declared slot's value in a message, by its type, or undefined. The date and amount readings are
 * the local reasoner's (chrono-node dates, as a day in the customer's zone; "$12.50", "12 dollars" → cents).
 */
export function readSlot(
  definition: SlotDefinition,
  message: string,
  reading: SlotReading,
): string | undefined {
  switch (definition.type) {
    case 'id': {
      if (definition.pattern) {
        const match = message.match(
          new RegExp(`(?<![A-Za-z0-9])(?:${definition.pattern})(?![A-Za-z0-9])`, 'i'),
        );
        return match?.[0];
      }
      if (!reading.expected) return undefined;
      const bare = message.match(anyId)?.[1];
      return bare && /\d/.test(bare) ? bare : undefined;
    }
    case 'date': {
      const zone = DateTime.fromJSDate(reading.now).setZone(reading.timezone);
      const found = chrono.parseDate(correctDateWords(message), {
        instant: reading.now,
        timezone: zone.isValid ? zone.offset : 0,
      });
      return found
        ? (DateTime.fromJSDate(found).setZone(reading.timezone).toISODate() ?? undefined)
        : undefined;
    }
    case 'amount':
      return extractSlots(message, {
        now: reading.now,
        timezone: reading.timezone,
        expecting: 'amount_cents',
      }).amount_cents;
    case 'enum': {
      const candidates: Array<[string, string]> = [
        ...definition.values.map((value): [string, string] => [value, value]),
        ...Object.entries(definition.synonyms ?? {}),
      ];
      // Longest words first: "next day" before "day".
      candidates.sort((a, b) => b[0].length - a[0].length);
      for (const [word, value] of candidates) {
        if (new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(word)}(?![\\p{L}\\p{N}])`, 'iu').test(message))
          return value;
      }
      return undefined;
    }
    case 'text': {
      const answer = message.trim();
      return reading.expected && answer.length > 0 ? answer.slice(0, 2000) : undefined;
    }
  }
}
