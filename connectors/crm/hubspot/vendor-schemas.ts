import { z } from 'zod';

/*
 * Minimal schemas of what the HubSpot CRM API answers (only the fields the backend reads). Anything
 * else HubSpot sends is ignored; a missing or mistyped field we read is a `permanent` error, never a
 * crash. Shapes follow https://developers.hubspot.com/docs/api/crm/understanding-the-crm (objects),
 * /docs/api/crm/search, /docs/api/crm/associations (v4) and /docs/api/crm/owners.
 */

/** A property value as HubSpot sends it: a string, or null when the record has none. */
const propertyValue = z.string().nullish();

/** A CRM record (contact, company, note, call, email, meeting): `{ id, properties, createdAt, updatedAt, archived }`. */
export const hubspotObject = z.object({
  id: z.string(),
  properties: z.record(z.string(), propertyValue),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean().optional(),
});
export type HubSpotObject = z.infer<typeof hubspotObject>;

const paging = z
  .object({ next: z.object({ after: z.string() }).optional() })
  .optional()
  .nullable();

/** `POST /crm/v3/objects/{type}/search`: `{ total, results, paging.next.after }`. */
export const searchPage = z.object({
  total: z.number().int(),
  results: z.array(hubspotObject),
  paging,
});

/** `POST /crm/v3/objects/{type}/batch/read`: `{ status, results }` (ids not found are left out, or listed under `errors` with 207). */
export const batchReadResult = z.object({
  status: z.string(),
  results: z.array(hubspotObject),
});

/** One association of `GET /crm/v4/objects/{from}/{id}/associations/{to}` (ids are numbers in v4). */
export const associationRow = z.object({
  toObjectId: z.union([z.number(), z.string()]).transform(String),
  associationTypes: z.array(
    z.object({ category: z.string(), typeId: z.number().int(), label: z.string().nullish() }),
  ),
});
export type AssociationRow = z.infer<typeof associationRow>;

export const associationsPage = z.object({ results: z.array(associationRow), paging });

/** `GET /crm/v3/owners/{ownerId}`. */
export const hubspotOwner = z.object({
  id: z.string(),
  email: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
});
export type HubSpotOwner = z.infer<typeof hubspotOwner>;

/** `GET /crm/v3/properties/{objectType}/{propertyName}`. */
export const hubspotProperty = z.object({ name: z.string(), type: z.string() });

/** HubSpot's error body (`{ status: 'error', message, correlationId, category }`; 429 adds `policyName`). */
export const hubspotErrorBody = z.object({
  status: z.string().optional(),
  message: z.string().optional(),
  category: z.string().optional(),
  errorType: z.string().optional(),
  policyName: z.string().optional(),
  correlationId: z.string().optional(),
});
