import type pg from 'pg';
import { z } from 'zod';
import { defineOperation } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { contactView, readContact, recordId } from '../schemas.ts';

/** `crm.get_contact`: the customer's own contact record. */
export function createGetContactOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
    name: 'get_contact',
    description: "The customer's contact record: name, email, phone, title, time zone.",
    effect: 'read',
    input: z.strictObject({ contact_id: recordId }),
    output: contactView,
    scopes: ['crm.read'],
    timeoutMs: 5_000,
    customerKey: { field: 'contact_id', from: 'contactId' },
    async run(input) {
      const contact = await readContact(db, input.contact_id);
      if (!contact) throw new ConnectorError('not_found', `No contact ${input.contact_id}.`);
      return contact;
    },
  });
}
