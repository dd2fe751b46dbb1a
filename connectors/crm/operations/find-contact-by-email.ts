import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { crm } from '../contract.ts';
import { readContact, requireSystemActor } from '../schemas.ts';

/**
 * `crm.find_contact_by_email`: resolves who an email address belongs to. For the API's identity
 * resolution (actor 'system'), before any customer is bound to the session — never for the agent.
 */
export function createFindContactByEmailOperation({ db }: { db: pg.Pool }) {
  return implement(crm.findContactByEmail, {
    scopes: ['crm.read'],
    timeoutMs: 5_000,
    async run(input, context) {
      requireSystemActor(context.session, 'find_contact_by_email');
      const { rows } = await db.query<{ id: string; tier: string }>(
        'SELECT c.id, a.tier FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE lower(c.email) = lower($1)',
        [input.email],
      );
      const match = rows[0];
      const contact = match ? await readContact(db, match.id) : null;
      return { contact: contact && match ? { ...contact, account_tier: match.tier } : null };
    },
  });
}
