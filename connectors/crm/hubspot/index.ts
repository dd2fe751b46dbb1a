import { operationsOf } from '../../core/contract.ts';
import type { ConnectorDefinition } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { crm } from '../contract.ts';
import { type CrmDirectory, createCrmBinding } from './binding.ts';
import { noteKeyProperty } from './mapping.ts';
import {
  createFindContactByEmail,
  createGetAccount,
  createGetContact,
  createInteractionHistory,
  createLookupIdentity,
} from './reads.ts';
import { createHubSpotTransport, type HubSpotTransportOptions } from './transport.ts';
import { createAddNote, createUpdateContact } from './writes.ts';

export type { CrmDirectory } from './binding.ts';
export {
  accountIdProperty,
  contactIdProperty,
  noteKeyProperty,
  regionProperty,
  tierProperty,
} from './mapping.ts';

/** Settings of the HubSpot CRM backend. */
export interface HubSpotCrmConnectorOptions extends CrmDirectory {
  /** A private app's access token, or a function returning the current OAuth access token. */
  token: HubSpotTransportOptions['token'];
  /** Called after HubSpot answers 401 with the refused token, so a token manager can refresh (makes 401 retryable). */
  onUnauthorized?: HubSpotTransportOptions['onUnauthorized'];
  /** HubSpot's API by default; a fake or a proxy in tests and some deployments. */
  baseUrl?: string;
  /** Scopes this installation grants; `crm.read` and `crm.write` by default. */
  grantedScopes?: string[];
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Page size of listings (tests shrink it to exercise paging). */
  pageSize?: number;
  /** How long the session → HubSpot contact mapping is kept (default 60 s). */
  customerCacheMs?: number;
}

/**
 * The CRM connector over HubSpot (CRM API v3, associations v4): the same contract
 * (`connectors/crm/contract.ts`) as the built-in backend, the customer bound from the verified session.
 */
export function createHubSpotCrmConnector(options: HubSpotCrmConnectorOptions): ConnectorDefinition {
  const transport = createHubSpotTransport({
    token: options.token,
    ...(options.onUnauthorized ? { onUnauthorized: options.onUnauthorized } : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const directory: CrmDirectory = { customerOf: options.customerOf, contactOfEmail: options.contactOfEmail };
  const binding = createCrmBinding({
    transport,
    directory,
    ...(options.customerCacheMs !== undefined ? { cacheMs: options.customerCacheMs } : {}),
  });
  const deps = { transport, binding, directory };
  let noteKeyChecked: Promise<void> | null = null;
  const ensureNoteKey = (signal: AbortSignal): Promise<void> => {
    noteKeyChecked ??= transport.hasProperty('notes', noteKeyProperty, signal).then((exists) => {
      if (!exists) {
        throw new ConnectorError(
          'permanent',
          `HubSpot has no note property ${noteKeyProperty}: create it (single-line text) before adding notes`,
        );
      }
    });
    // A failed check is asked again next time (the property may have been created meanwhile).
    return noteKeyChecked.catch((error: unknown) => {
      noteKeyChecked = null;
      throw error;
    });
  };
  const operations = [
    createFindContactByEmail(deps),
    createLookupIdentity(deps),
    createGetContact(deps),
    createGetAccount(deps),
    createInteractionHistory(deps),
    createUpdateContact(deps),
    createAddNote({ ...deps, ensureNoteKey }),
  ];
  return {
    id: 'crm',
    title: 'CRM (HubSpot)',
    grantedScopes: options.grantedScopes ?? ['crm.read', 'crm.write'],
    operations: operationsOf(crm, operations, 'crm'),
    async check(signal) {
      try {
        await transport.check(signal);
        const noteKey = await transport.hasProperty('notes', noteKeyProperty, signal);
        return noteKey
          ? { ok: true, detail: 'HubSpot CRM reachable' }
          : { ok: false, detail: `HubSpot reachable, but the note property ${noteKeyProperty} is missing` };
      } catch (error) {
        // A refused or unrefreshable token is no outage: say so (the admin must reconnect or fix the token).
        const refused = error instanceof ConnectorError && error.kind === 'auth_expired';
        return {
          ok: false,
          detail: `${refused ? 'HubSpot authorization failed' : 'HubSpot unreachable'}: ${(error as Error).message}`,
        };
      }
    },
  };
}
