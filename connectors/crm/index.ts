import type pg from 'pg';
import { operationsOf } from '../core/contract.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import { crm } from './contract.ts';
import { createAddNoteOperation } from './operations/add-note.ts';
import { createFindContactByEmailOperation } from './operations/find-contact-by-email.ts';
import { createGetAccountOperation } from './operations/get-account.ts';
import { createGetContactOperation } from './operations/get-contact.ts';
import { createInteractionHistoryOperation } from './operations/interaction-history.ts';
import { createLookupIdentityOperation } from './operations/lookup-identity.ts';
import { createUpdateContactOperation } from './operations/update-contact.ts';

export { crmPolicy } from './policy.ts';

/** Settings of the built-in CRM (backed by our database). */
export interface CrmConnectorOptions {
  db: pg.Pool;
  /** Scopes this installation grants; all of the connector's scopes by default. */
  grantedScopes?: string[];
}

/** Scopes of the CRM operations. */
export const crmScopes = ['crm.read', 'crm.write'];

/** Creates the built-in CRM connector: contacts, accounts, interaction history, notes. */
export function createCrmConnector(options: CrmConnectorOptions): ConnectorDefinition {
  const { db } = options;
  const operations = [
    createFindContactByEmailOperation({ db }),
    createLookupIdentityOperation({ db }),
    createGetContactOperation({ db }),
    createGetAccountOperation({ db }),
    createInteractionHistoryOperation({ db }),
    createUpdateContactOperation({ db }),
    createAddNoteOperation({ db }),
  ];
  return {
    id: 'crm',
    title: 'CRM (built-in)',
    grantedScopes: options.grantedScopes ?? crmScopes,
    operations: operationsOf(crm, operations, 'crm'),
    async check() {
      try {
        const { rows } = await db.query<{ accounts: number; contacts: number }>(
          'SELECT (SELECT count(*) FROM accounts)::int AS accounts, (SELECT count(*) FROM contacts)::int AS contacts',
        );
        return { ok: true, detail: `${rows[0]!.accounts} accounts, ${rows[0]!.contacts} contacts` };
      } catch (error) {
        return { ok: false, detail: `CRM tables unreachable: ${(error as Error).message}` };
      }
    },
  };
}
