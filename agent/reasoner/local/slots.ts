import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import type { SlotName } from '../../events.ts';

const patterns: Array<[SlotName, RegExp]> = [
  ['invoice_id', /\bINV-\d{3,}\b/i],
  ['payment_id', /\bpay_[A-Za-z0-9]+\b/],
  ['ticket_id', /\bTCK-\d+\b/i],
  ['booking_id', /\bbk_[A-Za-z0-9]+\b/],
  ['email', /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/],
];

const planPattern = /\b(free|starter|pro|business|enterprise)\b(?:\s+plan|\s+tier)?/i;
const planContext = /\b(plan|tier|upgrade|downgrade|switch|move|change|go)\b/i;
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
    const match = message.match(pattern);
    if (match)
      slots[slot] = slot === 'invoice_id' || slot === 'ticket_id' ? match[0].toUpperCase() : match[0];
  }
  const plan = message.match(planPattern);
  if (plan && (context.expecting === 'plan' || planContext.test(message)))
    slots.plan = plan[1]!.toLowerCase();
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

/** Resolves "next Tuesday at 3pm" in the customer's zone to an ISO instant (UTC). */
export function parseTime(message: string, context: { now: Date; timezone: string }): string | undefined {
  if (!timeWords.test(message)) return undefined;
  const zone = DateTime.fromJSDate(context.now).setZone(context.timezone);
  const offsetMinutes = zone.isValid ? zone.offset : 0;
  const results = chrono.parse(
    message,
    { instant: context.now, timezone: offsetMinutes },
    { forwardDate: true },
  );
  // "move my call on Monday to Wednesday at 2pm": the time wanted is the last one mentioned.
  const first = results.at(-1);
  if (!first) return undefined;
  // "from Monday to Wednesday at 2pm" parses as one range: the time wanted is where it goes *to*.
  const components = first.end && /\bto\b/i.test(first.text) ? first.end : first.start;
  const local = DateTime.fromObject(
    {
      year: components.get('year') ?? zone.year,
      month: components.get('month') ?? zone.month,
      day: components.get('day') ?? zone.day,
      hour: components.isCertain('hour') ? (components.get('hour') ?? 9) : 9,
      minute: components.get('minute') ?? 0,
    },
    { zone: context.timezone },
  );
  return local.isValid ? local.toUTC().toISO({ suppressMilliseconds: true })! : undefined;
}
