import { createHash } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { type ContactView, contactView, readContact, recordId } from '../schemas.ts';

const editableFields = ['name', 'email', 'phone', 'title', 'timezone'] as const;
type EditableField = (typeof editableFields)[number];

const input = z
  .strictObject({
    contact_id: recordId,
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().max(320).optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ().-]{3,40}$/, 'must be a phone number')
      .optional(),
    title: z.string().trim().min(1).max(200).optional(),
    timezone: z
      .string()
      .refine((zone) => isTimezone(zone), 'must be an IANA time zone such as Europe/Berlin')
      .optional(),
  })
  .refine(
    (value) => editableFields.some((field) => value[field] !== undefined),
    'give at least one field to change',
  );
type Input = z.infer<typeof input>;

/**
 * `crm.update_contact`: changes only the fields given. A new email must not belong to another
 * contact (conflict). Setting values that are already there changes nothing, so retries are safe.
 */
export function createUpdateContactOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
    name: 'update_contact',
    description:
      "Updates the customer's own contact record (name, email, phone, title, time zone); only the fields given change. Verified customers only.",
    effect: 'write',
    input,
    output: z.object({
      contact: contactView,
      changed_fields: z.array(z.enum(editableFields)),
      /** The values the changed fields had before. */
      previous: z.record(z.string(), z.string().nullable()),
    }),
    scopes: ['crm.write'],
    timeoutMs: 10_000,
    idempotencyKey: (value) => `update_contact:${value.contact_id}:${hashChanges(value)}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
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

function hashChanges(value: Input): string {
  const changes = editableFields
    .filter((field) => value[field] !== undefined)
    .map((field) => [field, value[field]]);
  return createHash('sha256').update(JSON.stringify(changes)).digest('hex').slice(0, 16);
}

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
