import { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import { createHubSpotSdk, type RawAnswer } from './sdk.ts';
import {
  type AssociationRow,
  associationsPage,
  batchReadResult,
  type HubSpotObject,
  type HubSpotOwner,
  hubspotErrorBody,
  hubspotObject,
  hubspotOwner,
  hubspotProperty,
  searchPage,
} from './vendor-schemas.ts';

/** The CRM object types the backend reads or writes (HubSpot's names in paths). */
export type HubSpotObjectType = 'contacts' | 'companies' | 'notes' | 'calls' | 'emails' | 'meetings';

/** Settings of the one module that talks to HubSpot. */
export interface HubSpotTransportOptions {
  /**
   * The bearer token for each request: a private app's access token, or a function returning the
   * current OAuth access token (the credentials vault refreshes it). Never logged.
   */
  token: string | (() => string | Promise<string>);
  /**
   * Called after a 401 with the token HubSpot refused, so a token manager can refresh before the
   * pipeline retries (and a late 401 of an old token does not discard a token refreshed meanwhile).
   */
  onUnauthorized?: (refusedToken: string) => void;
  /** Where the API is; default `https://api.hubapi.com` (a fake or a proxy in tests). */
  baseUrl?: string;
  /** Per-request timeout; the pipeline's operation timeouts bound it too. */
  timeoutMs?: number;
  /** Page size of search and association listings (HubSpot allows up to 200 / 500). */
  pageSize?: number;
  /** Pages read at most per listing, so one call never walks an unbounded history. */
  maxPages?: number;
}

/** A search filter (`filterGroups[].filters[]`), e.g. `{ propertyName: 'email', operator: 'EQ', value }`. */
export interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'NEQ' | 'HAS_PROPERTY';
  value?: string;
}

/** An association to create with a record (`associations[]` of a create request). */
export interface NewAssociation {
  toId: string;
  /** HubSpot-defined association type id, e.g. 202 (note → contact), 190 (note → company). */
  typeId: number;
}

export type HubSpotTransport = ReturnType<typeof createHubSpotTransport>;

/**
 * Creates the HubSpot transport on the official SDK (`@hubspot/api-client`, see `sdk.ts`): a bearer
 * token per request, a timeout and abort per call, minimal zod schemas over HubSpot's raw answers
 * and HubSpot's failures mapped to our error kinds. No retries and no rate limiter of its own (the
 * SDK's are off): retrying is the pipeline's job.
 */
export function createHubSpotTransport(options: HubSpotTransportOptions) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pageSize = options.pageSize ?? 100;
  const maxPages = options.maxPages ?? 10;
  const tokenOf = async () => (typeof options.token === 'function' ? await options.token() : options.token);
  const sdk = createHubSpotSdk(options.baseUrl ?? 'https://api.hubapi.com', (what, answer) =>
    errorOf(what, answer),
  );

  /** One SDK call: the current token, the timeout and the caller's signal, our schema over the raw body. */
  async function request<Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    invoke: (options: never) => Promise<unknown>,
    signal?: AbortSignal,
  ): Promise<z.output<Schema>> {
    const token = await tokenOf();
    const { onUnauthorized } = options;
    return sdk.call(what, schema, invoke, {
      token,
      timeoutMs,
      ...(signal ? { signal } : {}),
      errorOf: (failed, answer) => errorOf(failed, answer, onUnauthorized && (() => onUnauthorized(token))),
    });
  }

  /** Every page (up to `maxPages`) of a paged listing, following `paging.next.after`. */
  async function pages<Item>(
    page: (
      after: string | undefined,
    ) => Promise<{ results: Item[]; paging?: { next?: { after: string } } | null }>,
    limit?: number,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let after: string | undefined;
    for (let index = 0; index < maxPages; index++) {
      const answer = await page(after);
      items.push(...answer.results);
      after = answer.paging?.next?.after;
      if (!after || (limit !== undefined && items.length >= limit)) break;
    }
    return limit === undefined ? items : items.slice(0, limit);
  }

  return {
    /** Who-am-I: one contact listed, which the backend's token must be allowed to do. */
    // https://developers.hubspot.com/docs/api/crm/contacts (GET /crm/v3/objects/contacts)
    check: (signal?: AbortSignal) =>
      request(
        'contacts.list',
        z.object({ results: z.array(hubspotObject) }),
        (call) =>
          sdk.objects.getPage('contacts', 1, undefined, undefined, undefined, undefined, undefined, call),
        signal,
      ),

    /** Records matching every filter (one filter group), newest properties as asked. */
    // https://developers.hubspot.com/docs/api/crm/search (POST /crm/v3/objects/{objectType}/search)
    search: (
      type: HubSpotObjectType,
      filters: SearchFilter[],
      properties: string[],
      signal?: AbortSignal,
      limit?: number,
    ): Promise<HubSpotObject[]> =>
      pages(
        (after) =>
          request(
            `${type}.search`,
            searchPage,
            (call) =>
              sdk.search.doSearch(
                type,
                {
                  // The SDK types the operator as its enum; the values are HubSpot's own names.
                  filterGroups: [{ filters: filters as never }],
                  properties,
                  limit: Math.min(pageSize, 200),
                  ...(after ? { after } : {}),
                },
                call,
              ),
            signal,
          ),
        limit,
      ),

    /** One record with the properties asked for. */
    // https://developers.hubspot.com/docs/api/crm/contacts (GET /crm/v3/objects/{objectType}/{objectId})
    read: (type: HubSpotObjectType, id: string, properties: string[], signal?: AbortSignal) =>
      request(
        `${type}.read`,
        hubspotObject,
        (call) => sdk.objects.getById(type, id, properties, undefined, undefined, undefined, undefined, call),
        signal,
      ),

    /** Several records of one type by id, 100 a request (ids HubSpot does not know are left out). */
    // https://developers.hubspot.com/docs/api/crm/notes (POST /crm/v3/objects/{objectType}/batch/read)
    batchRead: async (
      type: HubSpotObjectType,
      ids: string[],
      properties: string[],
      signal?: AbortSignal,
    ): Promise<HubSpotObject[]> => {
      const records: HubSpotObject[] = [];
      for (let start = 0; start < ids.length; start += 100) {
        const chunk = ids.slice(start, start + 100);
        const answer = await request(
          `${type}.batchRead`,
          batchReadResult,
          (call) =>
            sdk.batch.read(
              type,
              // `propertiesWithHistory` is required by the SDK's type, not by HubSpot: left out of the body.
              { properties, inputs: chunk.map((id) => ({ id })) } as never,
              undefined,
              call,
            ),
          signal,
        );
        records.push(...answer.results);
      }
      return records;
    },

    /** Changes a contact's properties; HubSpot answers 409 when a new email belongs to another contact. */
    // https://developers.hubspot.com/docs/api/crm/contacts (PATCH /crm/v3/objects/contacts/{contactId})
    updateContact: (id: string, properties: Record<string, string>, signal?: AbortSignal) =>
      request(
        'contacts.update',
        hubspotObject,
        (call) => sdk.objects.update('contacts', id, { properties }, undefined, call),
        signal,
      ),

    /** Creates a note with its associations in one request. */
    // https://developers.hubspot.com/docs/api/crm/notes (POST /crm/v3/objects/notes)
    createNote: (properties: Record<string, string>, associations: NewAssociation[], signal?: AbortSignal) =>
      request(
        'notes.create',
        hubspotObject,
        (call) =>
          sdk.objects.create(
            'notes',
            {
              properties,
              associations: associations.map((association) => ({
                to: { id: association.toId },
                // HUBSPOT_DEFINED (the SDK types the category as its enum).
                types: [
                  { associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: association.typeId },
                ],
              })),
            },
            call,
          ),
        signal,
      ),

    /** The records of `to` associated with one record of `from`, with their association types. */
    // https://developers.hubspot.com/docs/api/crm/associations (GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType})
    associations: (
      from: HubSpotObjectType,
      id: string,
      to: HubSpotObjectType,
      signal?: AbortSignal,
    ): Promise<AssociationRow[]> =>
      pages((after) =>
        request(
          `${from}.associations.${to}`,
          associationsPage,
          (call) => sdk.associations.getPage(from, id, to, after, Math.min(pageSize, 500), call),
          signal,
        ),
      ),

    /** A CRM user (record owner) by id. */
    // https://developers.hubspot.com/docs/api/crm/owners (GET /crm/v3/owners/{ownerId})
    owner: (id: string, signal?: AbortSignal): Promise<HubSpotOwner> =>
      request(
        'owners.read',
        hubspotOwner,
        // The SDK types the id as a number; it is put into the path as text, so HubSpot's string id goes as is.
        (call) => sdk.owners.getById(id as unknown as number, 'id', undefined, call),
        signal,
      ),

    /** Whether a property exists on an object type (404 → false). */
    // https://developers.hubspot.com/docs/api/crm/properties (GET /crm/v3/properties/{objectType}/{propertyName})
    hasProperty: async (type: HubSpotObjectType, name: string, signal?: AbortSignal): Promise<boolean> => {
      try {
        await request(
          'properties.read',
          hubspotProperty,
          (call) => sdk.properties.getByName(type, name, undefined, undefined, call),
          signal,
        );
        return true;
      } catch (error) {
        if (error instanceof ConnectorError && error.kind === 'not_found') return false;
        throw error;
      }
    },
  };
}

/**
 * Maps a HubSpot error answer to our kinds (https://developers.hubspot.com/docs/api/error-handling):
 * 401 → auth_expired (retryable only when a token manager can refresh), 403 → permanent (a missing
 * scope), 404 → not_found, 409 → conflict, 429 → rate_limited (Retry-After when sent, else 1 s: the secondly
 * and ten-secondly windows roll; the daily limit is not retried), 5xx →
 * transient, other 4xx → invalid_input. Messages carry HubSpot's message and correlation id, never the token.
 */
export function errorOf(what: string, answer: RawAnswer, onUnauthorized?: () => void): ConnectorError {
  const { status } = answer;
  const body = parseErrorBody(answer.text);
  const detail = `HubSpot ${what} (${status})${body.message ? `: ${body.message}` : ''}${
    body.correlationId ? ` [correlationId ${body.correlationId}]` : ''
  }`;
  if (status === 401) {
    onUnauthorized?.();
    return new ConnectorError('auth_expired', `HubSpot refused the access token (${what}, 401)`, {
      retryable: onUnauthorized !== undefined,
    });
  }
  if (status === 403) return new ConnectorError('permanent', `${detail} — grant the private app the scope`);
  if (status === 429) return rateLimited(what, answer, body.policyName);
  if (status >= 500) return new ConnectorError('transient', detail);
  if (status === 404) return new ConnectorError('not_found', detail);
  if (status === 409) return new ConnectorError('conflict', detail);
  return new ConnectorError('invalid_input', detail);
}

function rateLimited(what: string, answer: RawAnswer, policy: string | undefined): ConnectorError {
  const message = `HubSpot rate-limited ${what}${policy ? ` (${policy})` : ''}`;
  // The daily limit resets at midnight in the portal's time zone: nothing to retry for now.
  if (policy === 'DAILY')
    return new ConnectorError('rate_limited', `${message}: the daily limit is used up`, { retryable: false });
  // HubSpot does not promise Retry-After; its short windows roll, so a second is enough to ask again.
  const retryAfter = Number(answer.headers['retry-after'] ?? Number.NaN);
  return new ConnectorError('rate_limited', message, {
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : 1,
  });
}

function parseErrorBody(text: string): z.infer<typeof hubspotErrorBody> {
  try {
    const parsed = hubspotErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}
