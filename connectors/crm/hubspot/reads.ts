import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { crm } from '../contract.ts';
import { requireSystemActor } from '../schemas.ts';
import type { CrmBinding, CrmDirectory } from './binding.ts';
import {
  accountIdProperty,
  contactIdProperty,
  type EngagementType,
  engagementProperties,
  engagementTypes,
  externalRef,
  isoOf,
  regionOf,
  tierOf,
  toContactView,
  toInteraction,
} from './mapping.ts';
import type { HubSpotTransport } from './transport.ts';

/** What every HubSpot CRM operation is built with. */
export interface HubSpotCrmDeps {
  transport: HubSpotTransport;
  binding: CrmBinding;
  directory: CrmDirectory;
}

/** `crm.get_contact`: the session's HubSpot contact. */
export const createGetContact = (deps: HubSpotCrmDeps) =>
  implement(crm.getContact, {
    scopes: ['crm.read'],
    timeoutMs: 10_000,
    async run(_input, context) {
      const bound = await deps.binding.customer(context.session, context.signal);
      return toContactView(bound.contact, bound);
    },
  });

/**
 * `crm.get_account`: the company of the session's contact (name, tier and region properties, the
 * owner from the owners API) and how many contacts it has. The policy hides the owner's email from the agent.
 */
export const createGetAccount = (deps: HubSpotCrmDeps) =>
  implement(crm.getAccount, {
    scopes: ['crm.read'],
    timeoutMs: 15_000,
    async run(input, context) {
      const bound = await deps.binding.customer(context.session, context.signal);
      const company = await deps.binding.company(bound.contact.id, input.account_id, context.signal);
      const ownerId = company.properties.hubspot_owner_id;
      const owner = ownerId ? await ownerOrNull(deps, ownerId, context.signal) : null;
      const contacts = await deps.transport.associations('companies', company.id, 'contacts', context.signal);
      const ownerName = owner ? [owner.firstName, owner.lastName].filter(Boolean).join(' ') || null : null;
      return {
        id: input.account_id,
        name: company.properties.name ?? '',
        tier: tierOf(company),
        region: regionOf(company),
        owner_name: ownerName,
        owner_email: owner?.email ?? null,
        contact_count: contacts.length,
        created_at: isoOf(company.createdAt),
      };
    },
  });

/** An owner who left the portal is no owner: not an error of the account. */
async function ownerOrNull(deps: HubSpotCrmDeps, id: string, signal: AbortSignal) {
  try {
    return await deps.transport.owner(id, signal);
  } catch (error) {
    if (error instanceof ConnectorError && error.kind === 'not_found') return null;
    throw error;
  }
}

/**
 * `crm.find_contact_by_email`: identity resolution for the system (never the agent). The HubSpot
 * contact with the address, under the ids our directory has for it; null when either has none.
 */
export const createFindContactByEmail = (deps: HubSpotCrmDeps) =>
  implement(crm.findContactByEmail, {
    scopes: ['crm.read'],
    timeoutMs: 15_000,
    async run(input, context) {
      requireSystemActor(context.session, 'find_contact_by_email');
      const ours = await deps.directory.contactOfEmail(input.email);
      if (!ours) return { contact: null };
      let record: Awaited<ReturnType<CrmBinding['findContact']>>;
      try {
        record = await deps.binding.findContact(input.email, ours.contactId, context.signal);
      } catch (error) {
        if (error instanceof ConnectorError && error.kind === 'not_found') return { contact: null };
        throw error;
      }
      const company = await deps.binding.company(record.id, ours.accountId, context.signal);
      return { contact: { ...toContactView(record, ours), account_tier: tierOf(company) } };
    },
  });

/**
 * `crm.lookup_identity`: the HubSpot contact with an email and its company, for a customer our
 * directory does not know yet (system only). `switchboard_contact_id` / `switchboard_account_id`, when
 * set on the records, name our ids; tier and region come from the company's custom properties.
 */
export const createLookupIdentity = (deps: HubSpotCrmDeps) =>
  implement(crm.lookupIdentity, {
    scopes: ['crm.read'],
    timeoutMs: 15_000,
    async run(input, context) {
      requireSystemActor(context.session, 'lookup_identity');
      const found = await deps.binding.lookup(input.email, context.signal);
      if (!found) return { entry: null };
      const { contact, company } = found;
      const view = toContactView(contact, { contactId: '-', accountId: '-' });
      const named = (record: typeof contact, property: string) => {
        const value = record.properties[property]?.trim();
        return value ? value : null;
      };
      return {
        entry: {
          contact: {
            ref: externalRef('contacts', contact.id),
            contact_id: named(contact, contactIdProperty),
            name: view.name,
            email: view.email,
            phone: view.phone,
            title: view.title,
            timezone: view.timezone,
          },
          account: {
            ref: externalRef('companies', company.id),
            account_id: named(company, accountIdProperty),
            name: named(company, 'name') ?? `HubSpot company ${company.id}`,
            tier: tierOf(company),
            region: regionOf(company),
          },
        },
      };
    },
  });

/**
 * `crm.interaction_history`: the engagements (notes, calls, emails, meetings) associated with the
 * session's HubSpot contact, newest first by `hs_timestamp`. Notes are internal: only a human gets them.
 */
export const createInteractionHistory = (deps: HubSpotCrmDeps) =>
  implement(crm.interactionHistory, {
    scopes: ['crm.read'],
    timeoutMs: 20_000,
    async run(input, context) {
      const bound = await deps.binding.customer(context.session, context.signal);
      // The company must be the session's account (a company tagged with another account is refused).
      await deps.binding.company(bound.contact.id, input.account_id, context.signal);
      const withNotes = context.session.actor === 'human';
      const types = (Object.keys(engagementTypes) as EngagementType[]).filter(
        (type) => withNotes || type !== 'notes',
      );
      const items = [];
      for (const type of types) {
        const rows = await deps.transport.associations('contacts', bound.contact.id, type, context.signal);
        if (rows.length === 0) continue;
        const records = await deps.transport.batchRead(
          type,
          rows.map((row) => row.toObjectId),
          engagementProperties(type),
          context.signal,
        );
        items.push(...records.map((record) => toInteraction(type, record, bound.contactId)));
      }
      items.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
      return { items: items.slice(0, input.limit) };
    },
  });
