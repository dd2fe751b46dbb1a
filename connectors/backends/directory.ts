import { createHash } from 'node:crypto';
import type { CallerSession } from '../core/definition.ts';
import type { Queryable } from '../core/queryable.ts';

/**
 * Our contacts, as the vendor backends need them: the verified session names one of our contacts,
 * and a vendor's records are found by that contact's email (Stripe customers, HubSpot contacts,
 * Zendesk requesters). It is also the way back, from a vendor record's email to our account.
 */
export interface ContactDirectory {
  customerOf(session: CallerSession): Promise<{ email: string; name?: string } | null>;
  accountOfEmail(email: string): Promise<string | null>;
  contactOfEmail(email: string): Promise<{ contactId: string; accountId: string } | null>;
}

/** The directory over the `contacts` table. Emails compare case-insensitively. */
export function createContactDirectory(db: Queryable): ContactDirectory {
  async function contactOfEmail(email: string) {
    const { rows } = await db.query<{ id: string; account_id: string }>(
      'SELECT id, account_id FROM contacts WHERE lower(email) = lower($1) ORDER BY id LIMIT 2',
      [email],
    );
    // Two contacts with one address name nobody for certain.
    return rows.length === 1 ? { contactId: rows[0]!.id, accountId: rows[0]!.account_id } : null;
  }
  return {
    async customerOf(session) {
      if (!session.customer) return null;
      const { rows } = await db.query<{ email: string | null; name: string | null }>(
        'SELECT email, name FROM contacts WHERE id = $1 AND account_id = $2',
        [session.customer.contactId, session.customer.accountId],
      );
      const row = rows[0];
      return row?.email ? { email: row.email, ...(row.name ? { name: row.name } : {}) } : null;
    },
    async accountOfEmail(email) {
      return (await contactOfEmail(email))?.accountId ?? null;
    },
    contactOfEmail,
  };
}

/** Our contact for an email address, taking it from the CRM when our directory does not know it yet. */
export interface IdentityProvisioner {
  contactOfEmail(email: string): Promise<{ contactId: string; accountId: string } | null>;
}

/**
 * Identity provisioning: with a vendor CRM (HubSpot), the company's customers live there, not in our
 * `contacts` table — yet a session (identity token, one-time code, a mail from the address) must name
 * one of our contacts. An address our directory does not know is looked up in the CRM
 * (`crm.lookup_identity`, a system read through the gateway: audited, resilient), and the contact
 * and its company are added to our directory, keeping the CRM's references (`external_ref`). The
 * CRM may name our ids on its records (`switchboard_contact_id` / `switchboard_account_id`); otherwise
 * the ids follow from the references, so two processes provisioning at once make one row. Nothing
 * is taken when the CRM does not know the address, knows it ambiguously, or cannot answer: the caller
 * treats the address as unknown (the one-time code flow then sends nothing and says so vaguely).
 */
export function createIdentityProvisioner(options: {
  db: Queryable;
  lookup: (email: string) => Promise<CrmIdentityEntry | null>;
}): IdentityProvisioner {
  const { db } = options;
  const local = async (email: string) => {
    const { rows } = await db.query<{ id: string; account_id: string }>(
      'SELECT id, account_id FROM contacts WHERE lower(email) = lower($1)',
      [email],
    );
    return rows[0] ? { contactId: rows[0].id, accountId: rows[0].account_id } : null;
  };
  return {
    async contactOfEmail(email) {
      const known = await local(email);
      if (known) return known;
      let entry: CrmIdentityEntry | null;
      try {
        entry = await options.lookup(email);
      } catch {
        return null;
      }
      // Only the address asked about: a CRM answering with another contact is not taken.
      if (!entry || entry.contact.email.toLowerCase() !== email.toLowerCase()) return null;
      const accountId = entry.account.account_id ?? derivedId('acc', entry.account.ref);
      const contactId = entry.contact.contact_id ?? derivedId('ct', entry.contact.ref);
      await db.query(
        `INSERT INTO accounts (id, name, tier, region, external_ref) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [accountId, entry.account.name, entry.account.tier, entry.account.region, entry.account.ref],
      );
      await db.query(
        `INSERT INTO contacts (id, account_id, name, email, phone, title, timezone, external_ref)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2)
         ON CONFLICT DO NOTHING`,
        [
          contactId,
          accountId,
          entry.contact.name,
          entry.contact.email,
          entry.contact.phone,
          entry.contact.title,
          entry.contact.timezone,
          entry.contact.ref,
        ],
      );
      // Whoever won a race (or an id the CRM named that exists with another address) decides.
      return local(email);
    },
  };
}

/** What `crm.lookup_identity` answers about an address (connectors/crm/contract.ts). */
export interface CrmIdentityEntry {
  contact: {
    ref: string;
    contact_id: string | null;
    name: string;
    email: string;
    phone: string | null;
    title: string | null;
    timezone: string;
  };
  account: { ref: string; account_id: string | null; name: string; tier: string; region: string };
}

/** `ct_crm_1a2b…`: an id of ours for a CRM record, the same in every process. */
const derivedId = (prefix: 'acc' | 'ct', ref: string) =>
  `${prefix}_crm_${createHash('sha256').update(ref).digest('hex').slice(0, 16)}`;
