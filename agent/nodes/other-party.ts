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
/**
 * The closed class of nouns for a person the customer relates to. People outside the customer's
 * organisation (family, friends, clients) own their own accounts: "my sister's subscription", "for a
 * friend", "my client wants a refund". People inside it (a colleague, the accountant) may need the
 * customer's own things ("our accountant needs the invoice"), so only what is theirs counts: "my
 * colleague's booking", "the call my co-worker booked".
 */
const insider =
  '(?:boss|manager|colleague|co-?worker|team-?mate|employee|employer|assistant|accountant|bookkeeper|cfo|ceo|cto|admin|owner)s?';
const outsider =
  '(?:friend|client|customer|partner|associate|contractor|supplier|vendor|landlord|tenant|neighbou?r|flat-?mate|room-?mate|brother|sister|sibling|wife|husband|spouse|girlfriend|boyfriend|fianc[eé]e?|mom|mum|mother|dad|father|parent|son|daughter|cousin|uncle|aunt|grand(?:ma|pa|mother|father)|in-laws?|relative)s?';
const anyone = `(?:${insider}|${outsider})`;
const possession = '(?:booked|made|set up|scheduled|has|had|owns|paid|opened|filed|bought)';
const relationParty = new RegExp(
  [
    // "my sister's subscription", "a colleague's invoice"
    `\\b(?:my|our|a|an|the|his|her|their)\\s+(?:\\w+\\s+)?${anyone}(?:'s|s'|’s)`,
    // "the subscription of my sister", "the booking belonging to a colleague"
    `\\b(?:of|belonging to|owned by|booked by|paid by|on behalf of)\\s+(?:my|our|a|an|one of (?:my|our))\\s+(?:\\w+\\s+)?${anyone}\\b`,
    // "for a friend", "for my client"
    `\\bfor\\s+(?:my|our|a|an|one of (?:my|our))\\s+(?:\\w+\\s+)?${outsider}\\b`,
    // "the call my co-worker booked"
    `\\b(?:my|our)\\s+(?:\\w+\\s+)?${anyone}\\s+${possession}\\b`,
    // "my client wants a refund"
    `\\b(?:my|our|a)\\s+(?:\\w+\\s+)?${outsider}\\s+(?:wants|needs|asked|is asking|would like|requested)\\b`,
  ].join('|'),
  'i',
);
/** "another company I manage", "a different account", "several companies": not the customer's account. */
const otherAccount =
  /\b(?:another|other|different|second|separate|sister)\s+(?:\w+\s+)?(?:company|companies|account|accounts|business|businesses|organi[sz]ations?|workspace|client|customer|firm)\b|\b(?:several|multiple|many|various)\s+(?:companies|accounts|businesses|clients|customers|organi[sz]ations)\b/i;
/** A forwarded message ("Fwd:", "---- Forwarded message", "forwarding this from"): someone else's request. */
const forwarded =
  /\b(?:fwd?|fw):|-{2,}\s*forwarded|\bforwarded (?:message|email|mail)\b|\bforwarding (?:this|a|the|an|their|his|her)\b|\bfor someone else\b/i;
/** "for Ahmed", "of Greenleaf": a capitalised party the account thing belongs to (checked against the customer's names). */
const forNamed =
  /(?:\bfor|\bbelonging to|\bowned by|\bon behalf of|\b(?:call|booking|meeting|invoice|bill|receipt|payment|charge|refund|account|subscription|plan|contract|seats?|workspace|ticket)s? of)\s+([A-Z][a-z][\p{L}-]*(?:\s+[A-Z][a-z][\p{L}-]*)*)/gu;

/** Capitalised words that name no party: the product, plans, days, months, greetings and pronouns. */
const vocabulary = new Set(
  (
    'i im ive id ill lumen cloud free starter pro business enterprise monday tuesday wednesday thursday friday saturday sunday ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun ' +
    'january february march april may june july august september october november december today tomorrow ' +
    'hi hello hey thanks thank please pls ok okay sorry also and but so the a an my our your it its this that what when ' +
    'where why how who which can could would will is are was do does did hallo dear regards best cheers ' +
    'inv tck sso api csv pdf gdpr ccpa eu us uk usd eur s3 gcs visa amex mastercard'
  ).split(' '),
);

export function namesAnotherParty(message: string, customer: CustomerProfile | null): boolean {
  if (!accountThing.test(message)) return false;
  if (errand.test(message)) return true;
  if (relationParty.test(message) || otherAccount.test(message) || forwarded.test(message)) return true;
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
  for (const match of message.matchAll(forNamed)) if (match[1]!.split(/\s+/).every(isParty)) return true;
  // A named party (capitalised, not at a sentence start) and a third-person reference to it.
  const named = [...message.matchAll(/(?<![.!?]\s|^)\b([A-Z][\p{L}-]+(?:\s+[A-Z][\p{L}-]+)*)/gu)].some(
    (match) => match[1]!.split(/\s+/).every(isParty),
  );
  return named && thirdPerson.test(message);
}
