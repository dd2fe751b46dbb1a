import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { authorOf, isoDateTime, recordId } from '../schemas.ts';

/** Within this time, the same note from the same author on the same account is one note (a retry). */
const sameNoteWindowMs = 60 * 60 * 1000;

/** `crm.add_note`: an internal note on the customer's account (kind `note` in the interactions history). */
export function createAddNoteOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
    name: 'add_note',
    description:
      "Adds an internal note to the customer's account in the CRM (e.g. what was done in this conversation).",
    effect: 'write',
    input: z.strictObject({
      account_id: recordId,
      body: z.string().trim().min(1).max(5_000),
      contact_id: recordId.optional(),
    }),
    output: z.object({
      note_id: z.string(),
      account_id: z.string(),
      created_at: isoDateTime,
      already_added: z.boolean(),
    }),
    scopes: ['crm.write'],
    timeoutMs: 10_000,
    idempotencyKey: (input) =>
      `note:${input.account_id}:${createHash('sha256').update(input.body).digest('hex').slice(0, 16)}`,
    customerKey: { field: 'account_id', from: 'accountId' },
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
