import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { crm } from '../contract.ts';

/** `crm.get_account`: the customer's account; the policy's allow-list hides the owner's email from the agent. */
export function createGetAccountOperation({ db }: { db: pg.Pool }) {
  return implement(crm.getAccount, {
    scopes: ['crm.read'],
    timeoutMs: 5_000,
    async run(input) {
      const { rows } = await db.query(
        `SELECT a.id, a.name, a.tier, a.region, a.owner_name, a.owner_email, a.created_at,
           (SELECT count(*) FROM contacts c WHERE c.account_id = a.id)::int AS contact_count
         FROM accounts a WHERE a.id = $1`,
        [input.account_id],
      );
      const account = rows[0];
      if (!account) throw new ConnectorError('not_found', `No account ${input.account_id}.`);
      return { ...account, created_at: new Date(account.created_at).toISOString() };
    },
  });
}
