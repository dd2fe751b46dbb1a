/**
 * The fake HubSpot portal's data: CRM records per object type, associations (each stored once with
 * its type id in both directions), property definitions and owners.
 */

export type FakeObjectType = 'contacts' | 'companies' | 'notes' | 'calls' | 'emails' | 'meetings';
export const objectTypes: readonly FakeObjectType[] = [
  'contacts',
  'companies',
  'notes',
  'calls',
  'emails',
  'meetings',
];

export interface FakeRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface FakeAssociation {
  from: { type: FakeObjectType; id: string };
  to: { type: FakeObjectType; id: string };
  /** The HUBSPOT_DEFINED type id from → to, and its inverse to → from. */
  typeId: number;
  inverseTypeId: number;
}

export interface FakeOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
}

/**
 * HubSpot-defined association type ids the fake knows (from → to, inverse, label), as listed in
 * https://developers.hubspot.com/docs/api/crm/associations/association-type-ids.
 */
export const associationTypes: Record<
  number,
  { from: FakeObjectType; to: FakeObjectType; inverse: number; label: string | null }
> = {
  1: { from: 'contacts', to: 'companies', inverse: 2, label: 'Primary' },
  2: { from: 'companies', to: 'contacts', inverse: 1, label: 'Primary' },
  279: { from: 'contacts', to: 'companies', inverse: 280, label: null },
  280: { from: 'companies', to: 'contacts', inverse: 279, label: null },
  189: { from: 'companies', to: 'notes', inverse: 190, label: null },
  190: { from: 'notes', to: 'companies', inverse: 189, label: null },
  201: { from: 'contacts', to: 'notes', inverse: 202, label: null },
  202: { from: 'notes', to: 'contacts', inverse: 201, label: null },
  193: { from: 'contacts', to: 'calls', inverse: 194, label: null },
  194: { from: 'calls', to: 'contacts', inverse: 193, label: null },
  197: { from: 'contacts', to: 'emails', inverse: 198, label: null },
  198: { from: 'emails', to: 'contacts', inverse: 197, label: null },
  199: { from: 'contacts', to: 'meetings', inverse: 200, label: null },
  200: { from: 'meetings', to: 'contacts', inverse: 199, label: null },
};

/** The default (unlabeled) association type from one object type to another. */
export function defaultAssociationType(from: FakeObjectType, to: FakeObjectType): number | null {
  for (const [id, type] of Object.entries(associationTypes)) {
    if (type.from === from && type.to === to && type.label === null) return Number(id);
  }
  return null;
}

/** Properties every portal has (a subset: those the backend and the seed use), by object type. */
const standardProperties: Record<FakeObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname', 'phone', 'jobtitle', 'hs_timezone', 'hubspot_owner_id'],
  companies: ['name', 'domain', 'hubspot_owner_id', 'country'],
  notes: ['hs_note_body', 'hs_timestamp', 'hubspot_owner_id', 'hs_attachment_ids'],
  calls: [
    'hs_call_title',
    'hs_call_body',
    'hs_call_direction',
    'hs_call_status',
    'hs_timestamp',
    'hubspot_owner_id',
  ],
  emails: [
    'hs_email_subject',
    'hs_email_text',
    'hs_email_direction',
    'hs_email_status',
    'hs_timestamp',
    'hubspot_owner_id',
  ],
  meetings: [
    'hs_meeting_title',
    'hs_meeting_body',
    'hs_meeting_start_time',
    'hs_timestamp',
    'hubspot_owner_id',
  ],
};

/** Properties HubSpot sets on every record and returns whatever was asked. */
export const systemProperties = ['hs_object_id', 'createdate', 'lastmodifieddate'];

/** Properties returned when a request names none (HubSpot's defaults per object type). */
export const defaultProperties: Record<FakeObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname'],
  companies: ['name', 'domain'],
  notes: ['hs_note_body', 'hs_timestamp'],
  calls: ['hs_call_title', 'hs_timestamp'],
  emails: ['hs_email_subject', 'hs_timestamp'],
  meetings: ['hs_meeting_title', 'hs_timestamp'],
};

export function createFakeHubSpotState() {
  return {
    records: new Map<FakeObjectType, Map<string, FakeRecord>>(objectTypes.map((type) => [type, new Map()])),
    associations: [] as FakeAssociation[],
    /** Defined property names per object type (standard ones, plus custom ones created through the API). */
    properties: new Map<FakeObjectType, Set<string>>(
      objectTypes.map((type) => [type, new Set([...standardProperties[type], ...systemProperties])]),
    ),
    owners: new Map<string, FakeOwner>(),
    nextId: 100_001,
  };
}

export type FakeHubSpotState = ReturnType<typeof createFakeHubSpotState>;
