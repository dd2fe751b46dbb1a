import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { crm } from '../contract.ts';
import { readContact } from '../schemas.ts';

/** `crm.get_contact`: the customer's own contact record. */
export function createGetContactOperation({ db }: { db: pg.Pool }) {
  return implement(crm.getContact, {
    scopes: ['crm.read'],
    timeoutMs: 5_000,
    async run(input) {
      const contact = await readContact(db, input.contact_id);
      if (!contact) throw new ConnectorError('not_found', `No contact ${input.contact_id}.`);
      return contact;
    },
  });
}
