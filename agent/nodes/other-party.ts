import type { CustomerProfile } from '../procedures/procedure.ts';

/**
 * Structural other-account detection (issue #19, pattern 6): a message that names someone other than
 * the customer — another person's or company's possession ("Omar's call"), or a named party the
 * message then refers to in the third person ("Northwind Labs … I'm their partner"), or an errand run
 * for someone else ("he asked me to") — together with something of an account (a call, invoice,
 * payment, subscription…). Such a request is never served from the requester's own records as a
 * substitute (docs/product.md: acting on other accounts); the guardrails hand it over instead.
 */
const accountThing =
  /\b(call|booking|meeting|invoice|bill|receipt|payment|paid|pay|charge|refund|account|subscription|plan|data|details|amount|contract|seat|workspace|ticket)s?\b/i;
const thirdPerson = /\b(their|his|her|he|she|them|him)\b/i;
const errand =
  /\b(?:he|she|they|my (?:boss|friend|colleague|client|partner|brother|sister|wife|husband))\s+(?:asked|told|wants|needs)\s+me\s+to\b|\bon (?:his|her|their) behalf\b/i;
/** Capitalised words that name no party: the product, plans, days, months, greetings and pronouns. */
const vocabulary = new Set(
  (
    'i im ive id ill lumen cloud free starter pro business enterprise monday tuesday wednesday thursday friday saturday sunday ' +
    'january february march april may june july august september october november december today tomorrow ' +
    'hi hello hey thanks thank please pls ok okay sorry also and but so the a an my our your it its this that what when ' +
    'where why how who which can could would will is are was do does did hallo dear regards best cheers ' +
    'inv tck sso api csv pdf gdpr ccpa eu us uk usd eur s3 gcs visa amex mastercard'
  ).split(' '),
);

export function namesAnotherParty(message: string, customer: CustomerProfile | null): boolean {
  if (!accountThing.test(message)) return false;
  if (errand.test(message)) return true;
  const own = new Set(
    `${customer?.name ?? ''} ${customer?.accountName ?? ''}`
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean),
  );
  const isParty = (word: string) => {
    const lower = word.toLowerCase().replace(/'s$/, '');
    return !vocabulary.has(lower) && !own.has(lower);
  };
  // "Omar's call": a possessive of a name that is not the customer's own.
  for (const match of message.matchAll(/\b([A-Z][\p{L}-]+)'s\s+(?:\w+\s+){0,2}?(\w+)/gu))
    if (isParty(match[1]!) && accountThing.test(match[2]!)) return true;
  // A named party (capitalised, not at a sentence start) and a third-person reference to it.
  const named = [...message.matchAll(/(?<![.!?]\s|^)\b([A-Z][\p{L}-]+(?:\s+[A-Z][\p{L}-]+)*)/gu)].some(
    (match) => match[1]!.split(/\s+/).every(isParty),
  );
  return named && thirdPerson.test(message);
}
