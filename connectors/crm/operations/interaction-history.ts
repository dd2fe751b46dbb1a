import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { crm } from '../contract.ts';

/**
 * `crm.interaction_history`: the account's recent notes, calls, emails, chats and meetings, newest
 * first. Notes are internal: only a human (the console) gets them, never the agent.
 */
export function createInteractionHistoryOperation({ db }: { db: pg.Pool }) {
  return implement(crm.interactionHistory, {
    scopes: ['crm.read'],
    timeoutMs: 5_000,
    async run(input, context) {
      // Filtered here, not by the policy: its field rules cannot tell a human from the agent.
      const withNotes = context.session.actor === 'human';
      const { rows } = await db.query(
        `SELECT id, kind, contact_id, author, body, created_at FROM interactions
         WHERE account_id = $1 AND ($3::boolean OR kind <> 'note') ORDER BY created_at DESC, id DESC LIMIT $2`,
        [input.account_id, input.limit, withNotes],
      );
      return {
        items: rows.map((row) => ({
          id: row.id,
          kind: row.kind,
          internal: row.kind === 'note',
          contact_id: row.contact_id,
          author: row.author,
          body: row.body,
          created_at: new Date(row.created_at).toISOString(),
        })),
      };
    },
  });
}
