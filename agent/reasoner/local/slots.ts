import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import type { SlotName } from '../../events.ts';
import { readClauses } from './clauses.ts';

const patterns: Array<[SlotName, RegExp]> = [
  ['invoice_id', /\bINV-\d{3,}\b/i],
  ['payment_id', /\bpay_[A-Za-z0-9]+\b/],
  ['ticket_id', /\bTCK-\d+\b/i],
  ['booking_id', /\bbk_[A-Za-z0-9]+\b/],
  ['email', /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/],
];

const planPattern = /\b(free|starter|pro|business|enterprise)\b(?:\s+plan|\s+tier)?/gi;
const planContext =
  /\b(plan|tier|upgrade|downgrade|switch|move|change|go|onto|off|cheaper|bigger|smaller|paying|instead|rather)\b|\b(need|want|prefer|not)\s+(?:the\s+)?(free|starter|pro|business|enterprise)\b|\b(free|starter|pro|business|enterprise)\s+is\s+what\b|\b(put|get|bump|take)\s+(us|me)\s+(on|onto|to|over)\b/i;
const amountPattern =
  /(?:\$|usd\s?|€|eur\s?)\s?(\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)|(\d+(?:\.\d{1,2})?)\s?(?:dollars|usd|bucks|eur|euros)\b/i;
const phonePattern = /(?:\+|\b)\d[\d\s().-]{6,}\d\b/;
const timeWords =
  /\b(today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|next week|morning|afternoon|evening|noon|\d{1,2}(:\d{2})?\s?(am|pm)|\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2})\b/i;

/** Slot values found in a message. Times are resolved in the customer's time zone to ISO instants. */
export function extractSlots(
  message: string,
  context: { now: Date; timezone: string; expecting?: SlotName },
): Partial<Record<SlotName, string>> {
  const slots: Partial<Record<SlotName, string>> = {};
  for (const [slot, pattern] of patterns) {
    const match = targetMention(message, new RegExp(pattern.source, `${pattern.flags}g`), idRole);
    if (match) slots[slot] = slot === 'invoice_id' || slot === 'ticket_id' ? match.toUpperCase() : match;
  }
  const plan = targetMention(message, planPattern, planRole);
  if (plan && (context.expecting === 'plan' || planContext.test(message))) slots.plan = plan.toLowerCase();
  const amount = message.match(amountPattern);
  if (amount)
    slots.amount_cents = String(Math.round(Number((amount[1] ?? amount[2])!.replace(/,/g, '')) * 100));
  const when = parseTime(message, context);
  if (when) slots.preferred_time = when;
  const phone = message.replace(patterns[0]![1], '').match(phonePattern);
  if (
    phone &&
    phone[0].replace(/\D/g, '').length >= 7 &&
    (context.expecting === 'phone' || /phone|number|mobile|cell/i.test(message))
  ) {
    slots.phone = phone[0].trim();
  }
  const name = message.match(
    /\b(?:my name is|call me|change my name to|name should be|update my name to)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,3})/u,
  );
  if (name) slots.name = name[1]!;
  const title = message.match(
    /\b(?:my (?:job )?title is|title (?:to|should be)|i(?:'m| am) now (?:the |a |an )?)\s*([A-Za-z][\w &/-]{1,60}?)(?:[.!,]|$)/i,
  );
  if (title && /title|i'?m now|i am now/i.test(message)) slots.title = title[1]!.trim();
  if (context.expecting) fillExpected(message, context.expecting, slots);
  return slots;
}

/** How a mention stands in its sentence: the thing asked for (> 0), or one named in passing (< 0). */
type Role = (before: string, after: string, clause: string) => number;

/**
 * The mention the customer wants, not the first one named (issue #19, pattern 1): every mention is
 * scored by its role in its clause, the best wins and, among equals, the later one after a correction
 * ("INV-1001, sorry I mean INV-1010") or else the first.
 */
function targetMention(message: string, pattern: RegExp, role: Role): string | undefined {
  const mentions = [...message.matchAll(pattern)];
  if (mentions.length <= 1) return mentions[0]?.[1] ?? mentions[0]?.[0];
  const reading = readClauses(message);
  let offset = 0;
  const clauseAt = reading.clauses.map((clause) => {
    const start = message.indexOf(clause.text, offset);
    offset = start + clause.text.length;
    return { ...clause, start, end: offset };
  });
  let best: { value: string; score: number } | undefined;
  for (const mention of mentions) {
    const index = mention.index!;
    const clause = clauseAt.find((item) => index >= item.start && index < item.end);
    const before = message.slice(Math.max(0, index - 40), index).toLowerCase();
    const after = message.slice(index + mention[0].length, index + mention[0].length + 40).toLowerCase();
    const correctedAfter = clause
      ? clauseAt.indexOf(clause) >= clauseAt.findLastIndex((item) => item.corrects)
      : false;
    const score =
      role(before, after, clause?.text.toLowerCase() ?? '') +
      (clause?.negated ? -2 : 0) +
      (reading.corrects && correctedAfter ? 1 : 0);
    const value = mention[1] ?? mention[0];
    if (!best || score > best.score || (score === best.score && reading.corrects && correctedAfter))
      best = { value, score };
  }
  return best?.value;
}

/** An id the customer has, is fine with, or contrasts away ("not INV-1"), versus one they ask about. */
const idRole: Role = (before, after, clause) => {
  let score = 0;
  if (
    /\bnot\s+(?:the\s+|for\s+)?$|\b(?:instead of|rather than|other than|except|apart from)\s+(?:the\s+)?$/.test(
      before,
    )
  )
    score -= 3;
  if (/\b(?:already|have got|received|got)\b/.test(clause) && !/\bnever\b/.test(clause)) score -= 2;
  if (
    /^\s*(?:was|is|'s)\s+(?:fine|ok|okay|correct|right|paid|settled)|no problem/.test(after) ||
    /\bno problem\b|\bis fine\b|\bwas fine\b/.test(clause)
  )
    score -= 2;
  if (/\b(?:want|need|missing|mean|meant|asking|request|looking for|about|that one|this one)\b/.test(clause))
    score += 1;
  return score;
};

/** A plan the customer is on or leaving ("from Pro", "off Starter", "we're on Pro") versus the one wanted. */
const planRole: Role = (before, after) => {
  if (/\bnot\s+(?:the\s+)?$|\b(?:instead of|rather than|than)\s+(?:the\s+)?$/.test(before)) return -3;
  if (
    /\b(?:from|off|off of|out of|leave|leaving|quit|drop|cancel)\s+(?:the\s+)?(?:current\s+)?$/.test(before)
  )
    return -2;
  if (
    /\b(?:we'?re|we are|i'?m|i am|currently|already|still|been)\s+(?:\w+\s+)?(?:on|using|with)\s+(?:the\s+)?$/.test(
      before,
    )
  )
    return -2;
  // "we're paying for Pro", "we have Business": the plan held, not the one wanted.
  if (
    /\b(?:paying (?:for)?|pay for|subscribed to|we have|i have|we'?ve got|i'?ve got)\s+(?:the\s+)?$/.test(
      before,
    )
  )
    return -2;
  if (/^(?:'s|\s+is|\s+was)\s+(?:too|not|no longer)\b|^\s+(?:isn'?t|doesn'?t|is not|does not)\b/.test(after))
    return -2;
  if (
    /\b(?:to|onto|into|on to|over to|for|mean|meant|choose|pick|want|need|take|get|put (?:us|me) on|rather)\s+(?:the\s+)?$/.test(
      before,
    )
  )
    return 2;
  return 0;
};

/** A bare answer to a question ("INV-1001", "Tuesday 3pm", "+49 30 1234") fills the slot asked for. */
function fillExpected(message: string, slot: SlotName, slots: Partial<Record<SlotName, string>>): void {
  const answer = message.trim().replace(/[.!]+$/, '');
  if (slots[slot] || answer.length === 0 || /^(i don'?t know|no idea|not sure|dunno)/i.test(answer)) return;
  const singleToken = /^[\w.@+:/-]+$/.test(answer);
  switch (slot) {
    case 'description':
    case 'name':
    case 'title':
      slots[slot] = answer;
      break;
    case 'phone':
      if (/\d{6,}/.test(answer.replace(/\D/g, ''))) slots.phone = answer;
      break;
    case 'amount_cents':
      if (/^\d+(\.\d{1,2})?$/.test(answer)) slots.amount_cents = String(Math.round(Number(answer) * 100));
      break;
    default:
      // Ids of other systems may have any shape: take a single token as given.
      if (singleToken) slots[slot] = answer;
  }
}

/** Day and month names a misspelt word is matched against (the spelling pass below). */
const calendarWords = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'tomorrow',
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'afternoon',
  'morning',
  'evening',
];

/** Optimal string alignment distance (a transposition counts one edit: "wendesday" → "wednesday"). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1)
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  return rows[a.length]![b.length]!;
}

/**
 * Spelling pass for date words: a word of five letters or more that starts like a day or month name
 * and is one edit from it (two for long names) is read as that name ("wendesday", "thurday", "tomorow").
 */
export function correctDateWords(message: string): string {
  return message.replace(/\b[a-z]{5,}\b/gi, (word) => {
    const lower = word.toLowerCase();
    if (calendarWords.includes(lower)) return word;
    let best: { name: string; distance: number } | undefined;
    for (const name of calendarWords) {
      if (name[0] !== lower[0] || Math.abs(name.length - lower.length) > 2) continue;
      const distance = editDistance(lower, name);
      if (distance <= (name.length >= 7 ? 2 : 1) && (!best || distance < best.distance))
        best = { name, distance };
    }
    return best ? best.name : word;
  });
}

/** Day-first dotted dates ("26.11.", "3.12.2026") as slashes, read by chrono's day-first (en-GB) parser. */
const dottedDate = /\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})?(?=\s|$|[,;!?)])/g;
/** An hour written without am/pm after "at"/"around" ("Thursday around 2"), which chrono leaves out. */
const bareHour =
  /\b(?:at|around|about|by|@|ca\.?|approx\.?)\s+(\d{1,2})(?:[:.](\d{2}))?\b(?!\s*(?:%|\$|€|dollars|euros|days?|weeks?|hours?|minutes?|mins?|people|users|seats|events|[./]\d))/i;
const partsOfDay: Array<[RegExp, number]> = [
  [/\b(morning|breakfast)\b/i, 9],
  [/\b(noon|midday|lunch(?:time)?)\b/i, 12],
  [/\bafternoon\b/i, 14],
  [/\b(evening|end of (?:the )?(?:work(?:ing)? ?)?day|after work)\b/i, 17],
];

/**
 * Resolves "next Tuesday at 3pm" in the customer's zone: an ISO instant (UTC) when an hour was given
 * or follows from a part of the day, else the local date alone ("2026-11-25"), so that a procedure
 * can carry an existing booking's time over instead of guessing one (calendar-shared.ts
 * `preferredInstant`). The day comes from the last date named, the hour from the last hour named: a
 * correction ("Tuesday at 10, no wait, make that 2pm") or a move ("from Monday to Wednesday") lands
 * on what was said last. A bare hour from 1 to 7 is afternoon: nobody books a support call at 4 am.
 */
export function parseTime(message: string, context: { now: Date; timezone: string }): string | undefined {
  let text = correctDateWords(message);
  const dayFirst = new RegExp(dottedDate.source).test(text);
  text = text.replace(dottedDate, (_, day: string, month: string, year?: string) =>
    Number(day) <= 31 && Number(month) <= 12 ? `${day}/${month}${year ? `/${year}` : ''}` : _,
  );
  if (!timeWords.test(text) && !dayFirst) return undefined;
  const zone = DateTime.fromJSDate(context.now).setZone(context.timezone);
  const offsetMinutes = zone.isValid ? zone.offset : 0;
  const parser = dayFirst ? chrono.en.GB : chrono;
  const results = parser.parse(
    text,
    { instant: context.now, timezone: offsetMinutes },
    { forwardDate: true },
  );
  if (results.length === 0) return undefined;
  let date: { year: number; month: number; day: number } | undefined;
  let time: { hour: number; minute: number; meridiem: boolean } | undefined;
  for (const result of results) {
    // "from Monday to Wednesday at 2pm" parses as one range: the time wanted is where it goes *to*.
    const components = result.end && /\bto\b|-/i.test(result.text) ? result.end : result.start;
    const dated =
      components.isCertain('day') ||
      components.isCertain('weekday') ||
      /\b(today|tomorrow|tonight|next week)\b/i.test(result.text);
    if (dated)
      date = { year: components.get('year')!, month: components.get('month')!, day: components.get('day')! };
    if (components.isCertain('hour'))
      time = {
        hour: components.get('hour')!,
        minute: components.get('minute') ?? 0,
        meridiem: components.isCertain('meridiem'),
      };
  }
  if (!time) {
    const bare = text.match(bareHour);
    if (bare && Number(bare[1]) <= 23)
      time = { hour: Number(bare[1]), minute: Number(bare[2] ?? 0), meridiem: false };
  }
  if (time && !time.meridiem && time.hour >= 1 && time.hour <= 7) time.hour += 12;
  if (!time) {
    const part = partsOfDay.find(([pattern]) => pattern.test(text));
    if (part && date) time = { hour: part[1], minute: 0, meridiem: true };
  }
  if (!date && !time) return undefined;
  if (!date) {
    // An hour alone is today's, or tomorrow's once it has passed (chrono's forward date).
    const first = results.find((result) => result.start.isCertain('hour')) ?? results[0]!;
    date = {
      year: first.start.get('year')!,
      month: first.start.get('month')!,
      day: first.start.get('day')!,
    };
  }
  if (!time) {
    const local = DateTime.fromObject(date, { zone: context.timezone });
    return local.isValid ? local.toISODate()! : undefined;
  }
  const local = DateTime.fromObject(
    { ...date, hour: time.hour, minute: time.minute },
    { zone: context.timezone },
  );
  return local.isValid ? local.toUTC().toISO({ suppressMilliseconds: true })! : undefined;
}
