/**
 * Consistent pseudonyms for a captured scenario (docs/evals.md, "Captured scenarios"). One
 * `Pseudonymizer` serves one scenario: the world snapshot and the customer's messages ask it for the
 * same real value and get the same fake one, so "my email is maya@brightpath.io" in a message and
 * the contact's `email` in the world still agree after both are replaced. Pure: no I/O, no clock,
 * no randomness — the same conversation always gives the same scenario.
 */

/** The kinds of record whose ids are remapped. */
export type RecordKind =
  | 'account'
  | 'contact'
  | 'subscription'
  | 'invoice'
  | 'payment'
  | 'ticket'
  | 'incident'
  | 'booking'
  | 'engineer';

const fakeFirstNames = [
  'Alex',
  'Jordan',
  'Sam',
  'Robin',
  'Casey',
  'Morgan',
  'Taylor',
  'Jamie',
  'Avery',
  'Quinn',
];
const fakeLastNames = [
  'Example',
  'Sample',
  'Testwell',
  'Placeholder',
  'Demo',
  'Mockridge',
  'Fakeley',
  'Proxy',
];

/**
 * Text that looks like a credential. Each is replaced by `[secret removed]` wherever it appears,
 * whatever else is around it: a customer pasting an API key into the chat must not put it in a test.
 */
const secretPatterns: RegExp[] = [
  /\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}\b/g, // Stripe keys
  /\bwhsec_[A-Za-z0-9]{8,}\b/g, // webhook signing secrets
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bAIza[0-9A-Za-z_-]{30,}\b/g, // Google API keys
  /\bya29\.[0-9A-Za-z_-]{20,}\b/g, // Google OAuth access tokens
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g, // JWTs (identity tokens)
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(?:password|passwd|pwd|secret|api[ _-]?key|token)\s*[:=]\s*\S+/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b[A-Fa-f0-9]{32,}\b/g, // long hex: hashes, keys
  /\b(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[A-Za-z])[A-Za-z0-9+/_-]{40,}={0,2}/g, // long base64-ish blobs
];

/** Record ids as they appear in text (world ids such as `INV-1042`, `TCK-311`, `pay_00012`, `acc_0001`). */
const idInText = /\b(?:(?:INV|TCK|INC)-\d+|(?:acc|ct|sub|pay|bk|eng|inc|inv|tck)_[A-Za-z0-9]+)\b/g;

const kindOfIdPrefix: Record<string, RecordKind> = {
  'INV-': 'invoice',
  'TCK-': 'ticket',
  'INC-': 'incident',
  acc_: 'account',
  ct_: 'contact',
  sub_: 'subscription',
  pay_: 'payment',
  bk_: 'booking',
  eng_: 'engineer',
  inc_: 'incident',
  inv_: 'invoice',
  tck_: 'ticket',
};

const emailInText = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** Phone-like runs: 7 or more digits with spaces, dots, dashes, brackets and an optional leading +. */
const phoneInText = /(?<![\w-])\+?\(?\d[\d\s().-]{5,}\d(?![\w-])/g;
/** A street address: a number, one to three capitalised words and a street type. */
const streetInText =
  /\b\d{1,5}\s+(?:[A-Z][A-Za-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Square|Sq|Straße|Strasse|Str)\b\.?/g;

/** Dates and times are not phone numbers. */
const isoDateLike = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$/;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const digitsOf = (text: string) => text.replace(/\D/g, '');

export class Pseudonymizer {
  private readonly ids = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private readonly emails = new Map<string, string>();
  private readonly phones = new Map<string, string>();
  /** Real name (lower case) → fake name; whole names first, then their single words. */
  private readonly names = new Map<string, string>();
  private readonly companies = new Map<string, string>();
  private people = 0;

  /** The fake id of a world record (the same real id always gets the same fake one). */
  id(kind: RecordKind, real: string): string {
    const key = `${kind}:${real}`;
    const known = this.ids.get(key);
    if (known) return known;
    const fake = this.nextId(kind, real, 'world');
    this.ids.set(key, fake);
    return fake;
  }

  /** Whether a real id belongs to the snapshot (was remapped as a world record). */
  hasId(kind: RecordKind, real: string): boolean {
    return this.ids.has(`${kind}:${real}`);
  }

  /** A fake person: name and address, registered so the real ones are replaced in text too. */
  person(realName: string, realEmail: string | null): { name: string; email: string } {
    const known = realEmail ? this.emails.get(realEmail.toLowerCase()) : undefined;
    const knownName = this.names.get(realName.toLowerCase());
    if (known && knownName) return { name: knownName, email: known };
    const index = this.people++;
    const first = fakeFirstNames[index % fakeFirstNames.length]!;
    const last = fakeLastNames[Math.floor(index / fakeFirstNames.length) % fakeLastNames.length]!;
    const name = knownName ?? `${first} ${last}`;
    const email = known ?? `person${index + 1}@example.com`;
    this.registerName(realName, name);
    if (realEmail) this.emails.set(realEmail.toLowerCase(), email);
    return { name, email };
  }

  /** A fake email for an address (consistent; one never seen gets a new `someoneN@example.net`). */
  email(real: string): string {
    const key = real.toLowerCase();
    const known = this.emails.get(key);
    if (known) return known;
    const fake = `someone${this.emails.size + 1}@example.net`;
    this.emails.set(key, fake);
    return fake;
  }

  /** A fake phone number (reserved 555-01xx numbers), compared by digits. */
  phone(real: string): string {
    const key = digitsOf(real);
    const known = this.phones.get(key);
    if (known) return known;
    const fake = `+1 555 01${String(this.phones.size).padStart(2, '0')}`;
    this.phones.set(key, fake);
    return fake;
  }

  /** A fake company name. */
  company(real: string): string {
    const key = real.toLowerCase();
    const known = this.companies.get(key);
    if (known) return known;
    const fake = `Example Company ${this.companies.size + 1}`;
    this.companies.set(key, fake);
    return fake;
  }

  /**
   * Free text with every known real value replaced by its fake one, and unknown personal data and
   * credentials removed: other addresses and phone numbers get fresh fakes, street addresses a fake
   * street, record ids outside the snapshot ids that name nothing in it, and anything that looks like
   * a key or token `[secret removed]`. Call it after the world is pseudonymised, so the names and
   * addresses of the snapshot are known.
   */
  text(input: string): string {
    let output = input;
    for (const pattern of secretPatterns) output = output.replace(pattern, '[secret removed]');
    output = output.replace(emailInText, (found) => this.email(found));
    output = output.replace(streetInText, '1 Example Street');
    output = output.replace(idInText, (found) => this.idInText(found));
    output = output.replace(phoneInText, (found) =>
      digitsOf(found).length >= 7 && !isoDateLike.test(found.trim()) ? this.phone(found) : found,
    );
    // Longest names first, so "Maya Chen" is replaced whole before "Maya" alone.
    const names = [...this.names.entries()].sort(([a], [b]) => b.length - a.length);
    for (const [real, fake] of names) {
      output = output.replace(
        new RegExp(`(?<![\\p{L}\\d])${escapeRegExp(real)}(?![\\p{L}\\d])`, 'giu'),
        fake,
      );
    }
    const companies = [...this.companies.entries()].sort(([a], [b]) => b.length - a.length);
    for (const [real, fake] of companies) {
      output = output.replace(
        new RegExp(`(?<![\\p{L}\\d])${escapeRegExp(real)}(?![\\p{L}\\d])`, 'giu'),
        fake,
      );
    }
    return output;
  }

  private idInText(found: string): string {
    const prefix = Object.keys(kindOfIdPrefix).find((candidate) => found.startsWith(candidate));
    const kind = prefix ? kindOfIdPrefix[prefix]! : null;
    if (kind && this.hasId(kind, found)) return this.id(kind, found);
    // Named in the text but not in the snapshot (e.g. another customer's invoice): a consistent id
    // that names nothing of the world, so the scenario keeps the attempt but not the real reference.
    const key = `foreign:${found}`;
    const known = this.ids.get(key);
    if (known) return known;
    const fake = this.nextId(kind ?? 'invoice', found, 'foreign');
    this.ids.set(key, fake);
    return fake;
  }

  private registerName(real: string, fake: string): void {
    const whole = real.trim();
    if (whole.length === 0) return;
    this.names.set(whole.toLowerCase(), fake);
    const realParts = whole.split(/\s+/);
    const fakeParts = fake.split(/\s+/);
    if (realParts.length < 2) return;
    // The first name alone ("Hi, this is Maya") and the last name alone map to the fake's parts.
    const pairs: Array<[string | undefined, string | undefined]> = [
      [realParts[0], fakeParts[0]],
      [realParts.at(-1), fakeParts.at(-1)],
    ];
    for (const [realPart, fakePart] of pairs) {
      if (realPart && fakePart && realPart.length >= 3 && !this.names.has(realPart.toLowerCase()))
        this.names.set(realPart.toLowerCase(), fakePart);
    }
  }

  /**
   * The next fake id of a kind, shaped like the real one (its prefix and digit count kept, so the
   * agent still recognises `INV-5001` as an invoice reference). World ids count up from 5…
   * (`INV-5001`, `ct_5001`), ids that name nothing in the world from 9… (`INV-9001`), so the two can
   * never collide and a fake id is easy to tell from a real one.
   */
  private nextId(kind: RecordKind, real: string, space: 'world' | 'foreign'): string {
    const counterKey = `${space}:${kind}`;
    const n = (this.counters.get(counterKey) ?? 0) + 1;
    this.counters.set(counterKey, n);
    const match = /^(.*?)(\d+)$/.exec(real);
    const prefix = match?.[1] || (/^[A-Za-z]+[_-]/.exec(real)?.[0] ?? `${kind}_`);
    const digits = match?.[2]?.length ?? 4;
    const width = Math.max(digits, String(n).length + 1);
    const base = (space === 'foreign' ? 9 : 5) * 10 ** (width - 1);
    return `${prefix}${base + n}`;
  }
}
