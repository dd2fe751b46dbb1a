import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { crm } from '../contract.ts';
import { authorOf } from '../schemas.ts';

/** Within this time, the same note from the same author on the same account is one note (a retry). */
const sameNoteWindowMs = 60 * 60 * 1000;

/** `crm.add_note`: an internal note on the customer's account (kind `note` in the interactions history). */
export function createAddNoteOperation({ db }: { db: pg.Pool }) {
  return implement(crm.addNote, {
    scopes: ['crm.write'],
    timeoutMs: 10_000,
    async run(input, context) {
      const now = context.now();
      const author = authorOf(context.session);
      return withTransaction(db, async (client) => {
        const account = await client.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [
          input.account_id,
        ]);
        if (account.rowCount === 0) throw new ConnectorError('not_found', `No account ${input.account_id}.`);
        if (input.contact_id) {
          const contact = await client.query('SELECT 1 FROM contacts WHERE id = $1 AND account_id = $2', [
            input.contact_id,
            input.account_id,
          ]);
          if (contact.rowCount === 0)
            throw new ConnectorError('invalid_input', `Contact ${input.contact_id} is not on this account.`);
        }
        const same = await client.query<{ id: string; created_at: Date }>(
          `SELECT id, created_at FROM interactions WHERE account_id = $1 AND kind = 'note' AND body = $2 AND author = $3
             AND created_at > $4 ORDER BY created_at DESC LIMIT 1`,
          [input.account_id, input.body, author, new Date(now.getTime() - sameNoteWindowMs)],
        );
        const existing = same.rows[0];
        if (existing) {
          return {
            note_id: existing.id,
            account_id: input.account_id,
            created_at: new Date(existing.created_at).toISOString(),
            already_added: true,
          };
        }
        const noteId = `note_${randomBytes(8).toString('hex')}`;
        await client.query(
          `INSERT INTO interactions (id, account_id, contact_id, kind, body, author, created_at) VALUES ($1, $2, $3, 'note', $4, $5, $6)`,
          [noteId, input.account_id, input.contact_id ?? null, input.body, author, now],
        );
        context.signal.throwIfAborted();
        return {
          note_id: noteId,
          account_id: input.account_id,
          created_at: now.toISOString(),
          already_added: false,
        };
      });
    },
  });
}
