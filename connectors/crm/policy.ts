import type { ConnectorPolicyInput } from '../core/policy.ts';

/**
 * The CRM connector's default policy. Allow-lists are what the agent (and every gateway caller)
 * sees: contact name/email/phone/title/time zone; account name/tier/region/owner name — never the
 * owner's email. Internal notes are dropped by `interaction_history` itself unless a human asks.
 */
export const crmPolicy = {
  allowedOperations: [
    'find_contact_by_email',
    'lookup_identity',
    'get_contact',
    'get_account',
    'interaction_history',
    'update_contact',
    'add_note',
  ],
  fields: {
    find_contact_by_email: {
      allow: [
        'contact.id',
        'contact.account_id',
        'contact.name',
        'contact.email',
        'contact.timezone',
        'contact.account_tier',
      ],
    },
    // System only (identity provisioning): what our directory needs to know the customer.
    lookup_identity: {
      allow: [
        'entry.contact.ref',
        'entry.contact.contact_id',
        'entry.contact.name',
        'entry.contact.email',
        'entry.contact.phone',
        'entry.contact.title',
        'entry.contact.timezone',
        'entry.account.ref',
        'entry.account.account_id',
        'entry.account.name',
        'entry.account.tier',
        'entry.account.region',
      ],
    },
    get_contact: { allow: ['id', 'account_id', 'name', 'email', 'phone', 'title', 'timezone'] },
    get_account: { allow: ['id', 'name', 'tier', 'region', 'owner_name'] },
    interaction_history: {
      allow: [
        'items[].id',
        'items[].kind',
        'items[].internal',
        'items[].contact_id',
        'items[].author',
        'items[].body',
        'items[].created_at',
      ],
    },
    update_contact: {
      allow: [
        'contact.id',
        'contact.name',
        'contact.email',
        'contact.phone',
        'contact.title',
        'contact.timezone',
        'changed_fields',
        'previous',
      ],
    },
    add_note: { allow: ['note_id', 'account_id', 'created_at', 'already_added'] },
  },
  segmentRules: [],
  actionLimits: [],
} satisfies ConnectorPolicyInput;
