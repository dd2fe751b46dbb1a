import { ConnectorError } from '../../core/errors.ts';
import type { ContactView } from '../schemas.ts';
import type { HubSpotObjectType } from './transport.ts';
import type { HubSpotObject } from './vendor-schemas.ts';

/*
 * HubSpot records → the CRM contract's shapes. Contact and account ids in the contract are always
 * Switchboard's (the session's); HubSpot record ids appear only as external references of notes and
 * interactions, written `<objectType>/<id>` (e.g. `notes/51234`).
 */

/** Optional contact property naming our contact id; when set it decides which HubSpot contact is whose. */
export const contactIdProperty = 'switchboard_contact_id';
/** Optional company property naming our account id; a company naming another account is never used. */
export const accountIdProperty = 'switchboard_account_id';
/** Company properties holding our tier and region (custom enumeration properties). */
export const tierProperty = 'switchboard_tier';
export const regionProperty = 'switchboard_region';
/** The note property holding the idempotency key of the `add_note` call that created the note. */
export const noteKeyProperty = 'switchboard_idempotency_key';

export const contactProperties = [
  'firstname',
  'lastname',
  'email',
  'phone',
  'jobtitle',
  'hs_timezone',
  contactIdProperty,
];
export const companyProperties = [
  'name',
  tierProperty,
  regionProperty,
  'hubspot_owner_id',
  accountIdProperty,
];

const tiers = ['free', 'starter', 'pro', 'business', 'enterprise'] as const;
const regions = ['NA', 'EU', 'APAC'] as const;

/** A HubSpot record's external reference as the contract carries it. */
export const externalRef = (type: HubSpotObjectType, id: string) => `${type}/${id}`;

const text = (record: HubSpotObject, property: string): string | null => {
  const value = record.properties[property];
  return value === undefined || value === null || value.trim() === '' ? null : value;
};

/** The contract's contact view of a HubSpot contact bound to our contact and account ids. */
export function toContactView(
  record: HubSpotObject,
  ids: { contactId: string; accountId: string },
): ContactView {
  const email = text(record, 'email');
  if (!email) throw new ConnectorError('permanent', `HubSpot contact ${record.id} has no email`);
  const name = [text(record, 'firstname'), text(record, 'lastname')].filter(Boolean).join(' ');
  return {
    id: ids.contactId,
    account_id: ids.accountId,
    name: name || email,
    email,
    phone: text(record, 'phone'),
    title: text(record, 'jobtitle'),
    timezone: fromHubSpotTimezone(text(record, 'hs_timezone')) ?? 'UTC',
    updated_at: isoOf(record.updatedAt),
  };
}

/** The contract's tier and region of a company (custom properties; anything else is a setup error). */
export function tierOf(company: HubSpotObject): (typeof tiers)[number] {
  const value = text(company, tierProperty)?.toLowerCase();
  const tier = tiers.find((candidate) => candidate === value);
  if (!tier) {
    throw new ConnectorError(
      'permanent',
      `HubSpot company ${company.id} has no valid ${tierProperty} (one of ${tiers.join(', ')})`,
    );
  }
  return tier;
}

export function regionOf(company: HubSpotObject): (typeof regions)[number] {
  const value = text(company, regionProperty)?.toUpperCase();
  const region = regions.find((candidate) => candidate === value);
  if (!region) {
    throw new ConnectorError(
      'permanent',
      `HubSpot company ${company.id} has no valid ${regionProperty} (one of ${regions.join(', ')})`,
    );
  }
  return region;
}

/**
 * HubSpot's `hs_timezone` values spell IANA zones in lower case with `_slash_` for `/` (e.g.
 * `europe_slash_berlin`); a plain IANA name is accepted too. The zone's own spelling is restored
 * (ICU's canonical names are older ones, e.g. Asia/Calcutta for Asia/Kolkata, so they are the last
 * resort). Null when it names no zone.
 */
export function fromHubSpotTimezone(value: string | null): string | null {
  if (!value) return null;
  const candidate = value.replace(/_slash_/g, '/').replace(/_hyphen_/g, '-');
  const resolved = resolvedZone(candidate);
  if (!resolved) return null;
  if (candidate !== candidate.toLowerCase()) return candidate;
  const listed = knownZones().get(candidate);
  if (listed) return listed;
  const titled = candidate.replace(
    /(^|[/_])([a-z])/g,
    (_match, before: string, letter: string) => before + letter.toUpperCase(),
  );
  return resolvedZone(titled) ? titled : resolved;
}

const resolvedZone = (zone: string): string | null => {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
};

let zonesByLowerCase: Map<string, string> | undefined;
const knownZones = () => {
  zonesByLowerCase ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  return zonesByLowerCase;
};

/** An IANA zone as HubSpot's `hs_timezone` option value. */
export const toHubSpotTimezone = (zone: string): string =>
  zone.toLowerCase().replace(/\//g, '_slash_').replace(/-/g, '_hyphen_');

/** First word → `firstname`, the rest → `lastname` (HubSpot keeps the two apart; we keep one name). */
export function splitName(name: string): { firstname: string; lastname: string } {
  const [first = '', ...rest] = name.trim().split(/\s+/);
  return { firstname: first, lastname: rest.join(' ') };
}

/** An ISO instant from HubSpot's ISO strings or millisecond timestamps; null when unreadable. */
export function instantOf(value: string | null | undefined): string | null {
  if (!value) return null;
  const date = /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function isoOf(value: string): string {
  const instant = instantOf(value);
  if (!instant) throw new ConnectorError('permanent', `HubSpot sent an unreadable date: ${value}`);
  return instant;
}

/** Engagement text for the history: tags dropped, entities of plain text decoded, whitespace folded. */
export function plainText(html: string): string {
  return html
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{2,}/g, '\n')
    .trim();
}

/** How each engagement type maps to an interaction of the contract. */
export const engagementTypes = {
  notes: { kind: 'note', title: null, body: 'hs_note_body', direction: null },
  calls: { kind: 'call', title: 'hs_call_title', body: 'hs_call_body', direction: 'hs_call_direction' },
  emails: {
    kind: 'email',
    title: 'hs_email_subject',
    body: 'hs_email_text',
    direction: 'hs_email_direction',
  },
  meetings: { kind: 'meeting', title: 'hs_meeting_title', body: 'hs_meeting_body', direction: null },
} as const;
export type EngagementType = keyof typeof engagementTypes;

export const engagementProperties = (type: EngagementType): string[] => {
  const fields = engagementTypes[type];
  return ['hs_timestamp', 'hubspot_owner_id', fields.title, fields.body, fields.direction].filter(
    (property): property is string => property !== null,
  );
};

/** One engagement as an interaction of the session's contact. */
export function toInteraction(type: EngagementType, record: HubSpotObject, contactId: string) {
  const fields = engagementTypes[type];
  const title = fields.title ? text(record, fields.title) : null;
  const body = fields.body ? text(record, fields.body) : null;
  const owner = text(record, 'hubspot_owner_id');
  // Emails say INCOMING_EMAIL, calls INBOUND (hs_email_direction / hs_call_direction).
  const direction = fields.direction ? text(record, fields.direction) : null;
  const incoming = direction === 'INBOUND' || direction?.startsWith('INCOMING') === true;
  return {
    id: externalRef(type, record.id),
    kind: fields.kind,
    internal: fields.kind === 'note',
    contact_id: contactId,
    author: incoming ? 'customer' : owner ? `hubspot_owner:${owner}` : 'hubspot',
    body: [title, body ? plainText(body) : null].filter(Boolean).join('\n'),
    created_at: instantOf(text(record, 'hs_timestamp')) ?? isoOf(record.createdAt),
  };
}
