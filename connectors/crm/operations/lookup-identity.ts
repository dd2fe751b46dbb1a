import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { crm } from '../contract.ts';
import { requireSystemActor } from '../schemas.ts';

/**
 * `crm.lookup_identity` on the built-in CRM: our own tables are the directory, so the entry is our
 * own contact and account (nothing to provision). System only, like `find_contact_by_email`.
 */
export function createLookupIdentityOperation({ db }: { db: pg.Pool }) {
  return implement(crm.lookupIdentity, {
    scopes: ['crm.read'],
    timeoutMs: 5_000,
    async run(input, context) {
      requireSystemActor(context.session, 'lookup_identity');
      const { rows } = await db.query<{
        id: string;
        name: string;
        email: string;
        phone: string | null;
        title: string | null;
        timezone: string;
        account_id: string;
        account_name: string;
        tier: 'free' | 'starter' | 'pro' | 'business' | 'enterprise';
        region: 'NA' | 'EU' | 'APAC';
      }>(
        `SELECT c.id, c.name, c.email, c.phone, c.title, c.timezone, a.id AS account_id, a.name AS account_name,
                a.tier, a.region
           FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE lower(c.email) = lower($1)`,
        [input.email],
      );
      const row = rows[0];
      if (!row) return { entry: null };
      return {
        entry: {
          contact: {
            ref: row.id,
            contact_id: row.id,
            name: row.name,
            email: row.email,
            phone: row.phone,
            title: row.title,
            timezone: row.timezone,
          },
          account: {
            ref: row.account_id,
            account_id: row.account_id,
            name: row.account_name,
            tier: row.tier,
            region: row.region,
          },
        },
      };
    },
  });
}
