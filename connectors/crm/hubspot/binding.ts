import type { CallerSession } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { accountIdProperty, companyProperties, contactIdProperty, contactProperties } from './mapping.ts';
import type { HubSpotTransport } from './transport.ts';
import type { AssociationRow, HubSpotObject } from './vendor-schemas.ts';

/** How the backend learns who a session's customer is, from Switchboard's own directory (supplied by the wiring). */
export interface CrmDirectory {
  /** The verified session's contact email; null when the session has no contact. */
  customerOf(session: CallerSession): Promise<{ email: string } | null>;
  /** Switchboard's contact and account for an email address (identity resolution), or null. */
  contactOfEmail(email: string): Promise<{ contactId: string; accountId: string } | null>;
}

/** Our customer (the session's ids) and the HubSpot records it is bound to. */
export interface BoundCustomer {
  contactId: string;
  accountId: string;
  /** The HubSpot contact record (fresh, with `contactProperties`). */
  contact: HubSpotObject;
}

/** HubSpot's association type id of a contact's primary company (v4, HUBSPOT_DEFINED). */
const primaryCompanyTypeId = 1;

/**
 * Binds calls to HubSpot records. The contact a call acts for follows from the verified session (its
 * contact's email in our directory → contact search on `email`), never from the input; a HubSpot
 * contact or company whose `switchboard_contact_id` / `switchboard_account_id` names another of our
 * contacts or accounts is never chosen. The session → HubSpot contact id mapping is cached briefly.
 */
export function createCrmBinding(options: {
  transport: HubSpotTransport;
  directory: CrmDirectory;
  cacheMs?: number;
}) {
  const { transport, directory } = options;
  const ttl = options.cacheMs ?? 60_000;
  const contactIds = new Map<string, { id: string; expires: number }>();

  /** The one HubSpot contact with this email that may stand for our contact `contactId`. */
  async function findContact(email: string, contactId: string, signal?: AbortSignal): Promise<HubSpotObject> {
    const found = await transport.search(
      'contacts',
      [{ propertyName: 'email', operator: 'EQ', value: email }],
      contactProperties,
      signal,
      10,
    );
    const candidates = found.filter((record) => {
      const named = record.properties[contactIdProperty];
      return !named || named === contactId;
    });
    const tagged = candidates.filter((record) => record.properties[contactIdProperty] === contactId);
    const chosen = tagged.length === 1 ? tagged[0] : candidates.length === 1 ? candidates[0] : undefined;
    if (chosen) return chosen;
    if (found.length > 0 && candidates.length === 0)
      throw new ConnectorError(
        'forbidden',
        "the HubSpot contact with the caller's email belongs to another contact",
      );
    if (candidates.length === 0)
      throw new ConnectorError('not_found', "no HubSpot contact has the caller's email");
    throw new ConnectorError(
      'conflict',
      `several HubSpot contacts have the caller's email: set ${contactIdProperty} on the right one`,
    );
  }

  return {
    /** The session's customer and its HubSpot contact, read fresh. */
    async customer(session: CallerSession, signal?: AbortSignal): Promise<BoundCustomer> {
      const customer = session.customer;
      if (!customer) throw new ConnectorError('forbidden', 'the CRM needs an identified customer');
      const { contactId, accountId } = customer;
      const key = `${contactId}\u0000${accountId}`;
      const hit = contactIds.get(key);
      if (hit && hit.expires > Date.now()) {
        try {
          const contact = await transport.read('contacts', hit.id, contactProperties, signal);
          return { contactId, accountId, contact };
        } catch (error) {
          if (!(error instanceof ConnectorError && error.kind === 'not_found')) throw error;
          contactIds.delete(key); // merged or deleted in HubSpot: look it up again
        }
      }
      const directoryEntry = await directory.customerOf(session);
      if (!directoryEntry)
        throw new ConnectorError('not_found', 'the caller has no contact email to find in HubSpot');
      const contact = await findContact(directoryEntry.email, contactId, signal);
      contactIds.set(key, { id: contact.id, expires: Date.now() + ttl });
      return { contactId, accountId, contact };
    },

    /** The HubSpot contact with `email` that may stand for our contact `contactId` (identity resolution). */
    findContact,

    /**
     * The one HubSpot contact with `email` and its company, for a customer our directory does not
     * know yet (identity provisioning): none → null; several contacts, or a contact whose companies
     * give no single answer → `conflict`, never a guess.
     */
    async lookup(
      email: string,
      signal?: AbortSignal,
    ): Promise<{ contact: HubSpotObject; company: HubSpotObject } | null> {
      const found = await transport.search(
        'contacts',
        [{ propertyName: 'email', operator: 'EQ', value: email }],
        contactProperties,
        signal,
        10,
      );
      if (found.length === 0) return null;
      if (found.length > 1)
        throw new ConnectorError(
          'conflict',
          `several HubSpot contacts have the email: set ${contactIdProperty} on the right one`,
        );
      const contact = found[0]!;
      const rows = await transport.associations('contacts', contact.id, 'companies', signal);
      if (rows.length === 0) throw new ConnectorError('not_found', 'the HubSpot contact has no company');
      const companies = await transport.batchRead(
        'companies',
        rows.map((row) => row.toObjectId),
        companyProperties,
        signal,
      );
      const primary = companies.filter((company) => isPrimary(rows, company.id));
      const company = primary.length === 1 ? primary[0] : companies.length === 1 ? companies[0] : undefined;
      if (!company)
        throw new ConnectorError('conflict', 'the HubSpot contact has several companies and no primary one');
      return { contact, company };
    },

    /**
     * The company (our account) of a HubSpot contact: among its associated companies, one whose
     * `switchboard_account_id` is ours wins, then the primary company, then the only one. Companies
     * tagged with another account are never chosen (`forbidden` when they are all there is).
     */
    async company(hubspotContactId: string, accountId: string, signal?: AbortSignal): Promise<HubSpotObject> {
      const rows = await transport.associations('contacts', hubspotContactId, 'companies', signal);
      if (rows.length === 0)
        throw new ConnectorError('not_found', "the caller's HubSpot contact has no company");
      const companies = await transport.batchRead(
        'companies',
        rows.map((row) => row.toObjectId),
        companyProperties,
        signal,
      );
      const candidates = companies.filter((company) => {
        const named = company.properties[accountIdProperty];
        return !named || named === accountId;
      });
      if (candidates.length === 0) {
        throw new ConnectorError('forbidden', "the caller's HubSpot company belongs to another account");
      }
      const tagged = candidates.find((company) => company.properties[accountIdProperty] === accountId);
      const primary = candidates.find((company) => isPrimary(rows, company.id));
      const chosen = tagged ?? primary ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (!chosen) {
        throw new ConnectorError(
          'conflict',
          `the caller's HubSpot contact has several companies and no primary one: set ${accountIdProperty}`,
        );
      }
      return chosen;
    },
  };
}

const isPrimary = (rows: AssociationRow[], companyId: string): boolean =>
  rows.some(
    (row) =>
      row.toObjectId === companyId &&
      row.associationTypes.some(
        (type) => type.category === 'HUBSPOT_DEFINED' && type.typeId === primaryCompanyTypeId,
      ),
  );

export type CrmBinding = ReturnType<typeof createCrmBinding>;
