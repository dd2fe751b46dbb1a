import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineContract } from '../core/contract.ts';
import { contactView, isoDateTime, recordId } from './schemas.ts';

/** The contact fields `update_contact` may change. */
export const editableFields = ['name', 'email', 'phone', 'title', 'timezone'] as const;

const updateContactInput = z
  .strictObject({
    contact_id: recordId,
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().max(320).optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ().-]{3,40}$/, 'must be a phone number')
      .optional(),
    title: z.string().trim().min(1).max(200).optional(),
    timezone: z
      .string()
      .refine((zone) => isTimezone(zone), 'must be an IANA time zone such as Europe/Berlin')
      .optional(),
  })
  .refine(
    (value) => editableFields.some((field) => value[field] !== undefined),
    'give at least one field to change',
  );

/** The crm contract: its operations, declared once; backends implement them, callers name them. */
export const crm = {
  addNote: defineContract({
    connector: 'crm',
    name: 'add_note',
    description:
      "Adds an internal note to the customer's account in the CRM (e.g. what was done in this conversation).",
    effect: 'write',
    input: z.strictObject({
      account_id: recordId,
      body: z.string().trim().min(1).max(5_000),
      contact_id: recordId.optional(),
    }),
    output: z.object({
      note_id: z.string(),
      account_id: z.string(),
      created_at: isoDateTime,
      already_added: z.boolean(),
    }),
    idempotencyKey: (input) =>
      `note:${input.account_id}:${createHash('sha256').update(input.body).digest('hex').slice(0, 16)}`,
    customerKey: { field: 'account_id', from: 'accountId' },
  }),
  findContactByEmail: defineContract({
    connector: 'crm',
    name: 'find_contact_by_email',
    description:
      'Finds the CRM contact with an email address (case-insensitive), with the account tier. Identity resolution only.',
    effect: 'read',
    input: z.strictObject({ email: z.email().max(320) }),
    output: z.object({
      contact: contactView.extend({ account_tier: z.string() }).nullable(),
    }),
  }),
  lookupIdentity: defineContract({
    connector: 'crm',
    name: 'lookup_identity',
    description:
      "Identity provisioning (system only): the CRM's own contact with an email address and its company, as the CRM keeps them, so a customer the CRM knows can be verified before our directory knows them.",
    effect: 'read',
    input: z.strictObject({ email: z.email().max(320) }),
    output: z.object({
      entry: z
        .object({
          contact: z.object({
            /** The CRM's reference of the record (ours: our id; HubSpot: `contacts/<id>`). */
            ref: z.string().min(1),
            /** Our contact id when the CRM record names one (else a new one is made). */
            contact_id: recordId.nullable(),
            name: z.string(),
            email: z.email(),
            phone: z.string().nullable(),
            title: z.string().nullable(),
            timezone: z.string(),
          }),
          account: z.object({
            ref: z.string().min(1),
            account_id: recordId.nullable(),
            name: z.string().min(1),
            tier: z.enum(['free', 'starter', 'pro', 'business', 'enterprise']),
            region: z.enum(['NA', 'EU', 'APAC']),
          }),
        })
        .nullable(),
    }),
  }),
  getAccount: defineContract({
    connector: 'crm',
    name: 'get_account',
    description: "The customer's account: name, tier, region, account owner and number of contacts.",
    effect: 'read',
    input: z.strictObject({ account_id: recordId }),
    output: z.object({
      id: z.string(),
      name: z.string(),
      tier: z.enum(['free', 'starter', 'pro', 'business', 'enterprise']),
      region: z.enum(['NA', 'EU', 'APAC']),
      owner_name: z.string().nullable(),
      owner_email: z.string().nullable(),
      contact_count: z.number().int(),
      created_at: isoDateTime,
    }),
    customerKey: { field: 'account_id', from: 'accountId' },
  }),
  getContact: defineContract({
    connector: 'crm',
    name: 'get_contact',
    description: "The customer's contact record: name, email, phone, title, time zone.",
    effect: 'read',
    input: z.strictObject({ contact_id: recordId }),
    output: contactView,
    customerKey: { field: 'contact_id', from: 'contactId' },
  }),
  interactionHistory: defineContract({
    connector: 'crm',
    name: 'interaction_history',
    description:
      "The account's recent interactions (calls, emails, chats, meetings, internal notes), newest first.",
    effect: 'read',
    input: z.strictObject({ account_id: recordId, limit: z.number().int().min(1).max(100).default(20) }),
    output: z.object({
      items: z.array(
        z.object({
          id: z.string(),
          kind: z.enum(['note', 'call', 'email', 'chat', 'meeting']),
          internal: z.boolean(),
          contact_id: z.string().nullable(),
          author: z.string(),
          body: z.string(),
          created_at: isoDateTime,
        }),
      ),
    }),
    customerKey: { field: 'account_id', from: 'accountId' },
  }),
  updateContact: defineContract({
    connector: 'crm',
    name: 'update_contact',
    description:
      "Updates the customer's own contact record (name, email, phone, title, time zone); only the fields given change. Verified customers only.",
    effect: 'write',
    input: updateContactInput,
    output: z.object({
      contact: contactView,
      changed_fields: z.array(z.enum(editableFields)),
      /** The values the changed fields had before. */
      previous: z.record(z.string(), z.string().nullable()),
    }),
    idempotencyKey: (value) => `update_contact:${value.contact_id}:${hashChanges(value)}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
  }),
};

function hashChanges(value: z.output<typeof updateContactInput>): string {
  const changes = editableFields
    .filter((field) => value[field] !== undefined)
    .map((field) => [field, value[field]]);
  return createHash('sha256').update(JSON.stringify(changes)).digest('hex').slice(0, 16);
}

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
