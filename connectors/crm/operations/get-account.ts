import type pg from 'pg';
import { z } from 'zod';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { isoDateTime, recordId } from '../schemas.ts';

/** `crm.get_account`: the customer's account; the policy's allow-list hides the owner's email from the agent. */
export function createGetAccountOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
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
    scopes: ['crm.read'],
    timeoutMs: 5_000,
    customerKey: { field: 'account_id', from: 'accountId' },
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
