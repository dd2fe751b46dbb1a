import type pg from 'pg';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { crm, editableFields } from '../contract.ts';
import { type ContactView, readContact } from '../schemas.ts';

type EditableField = (typeof editableFields)[number];

/**
 * `crm.update_contact`: changes only the fields given. A new email must not belong to another
 * contact (conflict). Setting values that are already there changes nothing, so retries are safe.
 */
export function createUpdateContactOperation({ db }: { db: pg.Pool }) {
  return implement(crm.updateContact, {
    scopes: ['crm.write'],
    timeoutMs: 10_000,
    async run(value, context) {
      try {
        return await withTransaction(db, async (client) => {
          await client.query('SELECT id FROM contacts WHERE id = $1 FOR UPDATE', [value.contact_id]);
          const current = await readContact(client, value.contact_id);
          if (!current) throw new ConnectorError('not_found', `No contact ${value.contact_id}.`);
          const changed = editableFields.filter(
            (field) => value[field] !== undefined && !sameValue(field, value[field]!, current),
          );
          if (changed.length === 0) return { contact: current, changed_fields: [], previous: {} };
          if (changed.includes('email')) await assertEmailFree(client, value.email!, current.id);
          const assignments = changed.map((field, index) => `${field} = $${index + 3}`);
          await client.query(`UPDATE contacts SET updated_at = $2, ${assignments.join(', ')} WHERE id = $1`, [
            current.id,
            context.now(),
            ...changed.map((field) => value[field]),
          ]);
          const updated = (await readContact(client, current.id))!;
          context.signal.throwIfAborted();
          return {
            contact: updated,
            changed_fields: changed,
            previous: Object.fromEntries(changed.map((field) => [field, current[field]])),
          };
        });
      } catch (error) {
        // A concurrent update took the address between our check and our write.
        if ((error as { code?: string }).code === '23505') throw emailTaken();
        throw error;
      }
    },
  });
}

const sameValue = (field: EditableField, next: string, current: ContactView): boolean =>
  current[field] === next;

async function assertEmailFree(client: pg.PoolClient, email: string, contactId: string): Promise<void> {
  const { rowCount } = await client.query(
    'SELECT 1 FROM contacts WHERE lower(email) = lower($1) AND id <> $2',
    [email, contactId],
  );
  if (rowCount) throw emailTaken();
}

const emailTaken = () =>
  new ConnectorError('conflict', 'That email address already belongs to another contact.');
