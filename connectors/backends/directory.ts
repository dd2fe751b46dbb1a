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
