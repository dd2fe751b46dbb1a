import { randomUUID } from 'node:crypto';
import {
  associationTypes,
  defaultAssociationType,
  defaultProperties,
  type FakeHubSpotState,
  type FakeObjectType,
  type FakeRecord,
  objectTypes,
  systemProperties,
} from './state.ts';

/** An answer of a handler: status and JSON body. */
export interface FakeAnswer {
  status: number;
  body: unknown;
}

/** HubSpot's error body: `{ status: 'error', message, correlationId, category }` (plus `errors` on validation). */
export const hubspotError = (
  status: number,
  category: string,
  message: string,
  extra: object = {},
): FakeAnswer => ({
  status,
  body: { status: 'error', message, correlationId: randomUUID(), category, ...extra },
});

const notFound = () => hubspotError(404, 'OBJECT_NOT_FOUND', 'resource not found');
const invalid = (message: string) => hubspotError(400, 'VALIDATION_ERROR', message);

const isType = (value: string): value is FakeObjectType => (objectTypes as readonly string[]).includes(value);

/**
 * The `properties` query parameter: HubSpot takes it repeated (`?properties=a&properties=b`, as the
 * official SDK sends arrays) or comma-separated (`?properties=a,b`); null when absent.
 */
const askedProperties = (query: URLSearchParams): string[] | null =>
  query.has('properties')
    ? query
        .getAll('properties')
        .flatMap((value) => value.split(','))
        .filter(Boolean)
    : null;

/** A record as HubSpot returns it: the properties asked for (null when unset, unknown names left out) and the system ones. */
function present(state: FakeHubSpotState, type: FakeObjectType, record: FakeRecord, asked: string[] | null) {
  const defined = state.properties.get(type)!;
  const names = [
    ...new Set([...(asked && asked.length > 0 ? asked : defaultProperties[type]), ...systemProperties]),
  ];
  const properties: Record<string, string | null> = {};
  for (const name of names) if (defined.has(name)) properties[name] = record.properties[name] ?? null;
  return {
    id: record.id,
    properties,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: record.archived,
  };
}

/** Checks a write's properties: every name defined, every value a string; the contact email unique. */
function checkProperties(
  state: FakeHubSpotState,
  type: FakeObjectType,
  properties: unknown,
  selfId: string | null,
): FakeAnswer | Record<string, string> {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties))
    return invalid('Invalid input JSON: properties must be an object');
  const defined = state.properties.get(type)!;
  const unknown = Object.keys(properties).filter((name) => !defined.has(name));
  if (unknown.length > 0) {
    return hubspotError(
      400,
      'VALIDATION_ERROR',
      `Property values were not valid: ${unknown.join(', ')} does not exist`,
      {
        errors: unknown.map((name) => ({
          message: `Property "${name}" does not exist`,
          code: 'PROPERTY_DOESNT_EXIST',
        })),
      },
    );
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    if (typeof value !== 'string') return invalid(`Property values were not valid: ${name} must be a string`);
    values[name] = value;
  }
  if (values.hs_timezone !== undefined && !/^[a-z0-9_]+$/.test(values.hs_timezone))
    return invalid(
      `Property values were not valid: ${values.hs_timezone} is not a valid option for hs_timezone`,
    );
  if (type === 'contacts' && values.email !== undefined) {
    const holder = [...state.records.get('contacts')!.values()].find(
      (record) =>
        record.id !== selfId && record.properties.email?.toLowerCase() === values.email!.toLowerCase(),
    );
    if (holder) return hubspotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${holder.id}`);
  }
  return values;
}

const isAnswer = (value: unknown): value is FakeAnswer =>
  typeof value === 'object' &&
  value !== null &&
  'status' in value &&
  typeof (value as FakeAnswer).status === 'number';

export function createHandlers(state: FakeHubSpotState, clock: () => Date) {
  const recordsOf = (type: FakeObjectType) => state.records.get(type)!;

  function associate(
    fromType: FakeObjectType,
    fromId: string,
    typeId: number,
    toId: string,
  ): FakeAnswer | null {
    const spec = associationTypes[typeId];
    if (!spec || spec.from !== fromType)
      return invalid(`${typeId} is not a valid association type from ${fromType}`);
    if (!recordsOf(spec.to).has(toId)) return invalid(`No ${spec.to} with ID ${toId} to associate`);
    const exists = state.associations.some(
      (edge) =>
        edge.from.type === fromType &&
        edge.from.id === fromId &&
        edge.to.id === toId &&
        edge.typeId === typeId,
    );
    if (!exists) {
      state.associations.push({
        from: { type: fromType, id: fromId },
        to: { type: spec.to, id: toId },
        typeId,
        inverseTypeId: spec.inverse,
      });
    }
    return null;
  }

  return {
    /** GET /crm/v3/objects/{type}?limit&after&properties */
    list(type: string, query: URLSearchParams): FakeAnswer {
      if (!isType(type)) return notFound();
      const limit = Number(query.get('limit') ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        return invalid('limit must be between 1 and 100');
      const all = [...recordsOf(type).values()];
      const start = Number(query.get('after') ?? 0);
      const page = all.slice(start, start + limit);
      const asked = askedProperties(query);
      return {
        status: 200,
        body: {
          results: page.map((record) => present(state, type, record, asked)),
          ...(start + limit < all.length ? { paging: { next: { after: String(start + limit) } } } : {}),
        },
      };
    },

    /** POST /crm/v3/objects/{type} with `{ properties, associations? }` → 201. */
    create(type: string, body: unknown): FakeAnswer {
      if (!isType(type)) return notFound();
      const request = body as { properties?: unknown; associations?: unknown };
      const values = checkProperties(state, type, request?.properties, null);
      if (isAnswer(values)) return values;
      if (
        (type === 'notes' || type === 'calls' || type === 'emails' || type === 'meetings') &&
        !values.hs_timestamp
      )
        return invalid('Property values were not valid: hs_timestamp is required');
      const associations = request.associations ?? [];
      if (!Array.isArray(associations)) return invalid('associations must be an array');
      const now = clock().toISOString();
      const id = String(state.nextId++);
      const record: FakeRecord = {
        id,
        properties: { ...values, hs_object_id: id, createdate: now, lastmodifieddate: now },
        createdAt: now,
        updatedAt: now,
        archived: false,
      };
      // Associations are checked before anything is stored: a bad one fails the whole create.
      const edges: Array<{ typeId: number; toId: string }> = [];
      for (const association of associations as Array<{ to?: { id?: unknown }; types?: unknown }>) {
        const toId = association?.to?.id;
        const types = association?.types;
        if (
          (typeof toId !== 'string' && typeof toId !== 'number') ||
          !Array.isArray(types) ||
          types.length === 0
        )
          return invalid('each association needs to.id and types');
        for (const spec of types as Array<{ associationCategory?: unknown; associationTypeId?: unknown }>) {
          if (spec.associationCategory !== 'HUBSPOT_DEFINED' || typeof spec.associationTypeId !== 'number')
            return invalid(
              'association types need associationCategory HUBSPOT_DEFINED and a numeric associationTypeId',
            );
          const known = associationTypes[spec.associationTypeId];
          if (!known || known.from !== type)
            return invalid(`${spec.associationTypeId} is not a valid association type from ${type}`);
          if (!recordsOf(known.to).has(String(toId)))
            return invalid(`No ${known.to} with ID ${toId} to associate`);
          edges.push({ typeId: spec.associationTypeId, toId: String(toId) });
        }
      }
      recordsOf(type).set(id, record);
      for (const edge of edges) associate(type, id, edge.typeId, edge.toId);
      return { status: 201, body: present(state, type, record, Object.keys(values)) };
    },

    /** GET /crm/v3/objects/{type}/{id}?properties */
    read(type: string, id: string, query: URLSearchParams): FakeAnswer {
      if (!isType(type)) return notFound();
      const record = recordsOf(type).get(id);
      if (!record || record.archived) return notFound();
      const asked = askedProperties(query);
      return { status: 200, body: present(state, type, record, asked) };
    },

    /** PATCH /crm/v3/objects/{type}/{id} with `{ properties }`: the answer carries the defaults and the changed properties. */
    update(type: string, id: string, body: unknown): FakeAnswer {
      if (!isType(type)) return notFound();
      const record = recordsOf(type).get(id);
      if (!record || record.archived) return notFound();
      const values = checkProperties(state, type, (body as { properties?: unknown })?.properties, id);
      if (isAnswer(values)) return values;
      const now = clock().toISOString();
      Object.assign(record.properties, values, { lastmodifieddate: now });
      record.updatedAt = now;
      return { status: 200, body: present(state, type, record, Object.keys(values)) };
    },

    /** POST /crm/v3/objects/{type}/search */
    search(type: string, body: unknown): FakeAnswer {
      if (!isType(type)) return notFound();
      const request = body as {
        filterGroups?: unknown;
        properties?: unknown;
        limit?: unknown;
        after?: unknown;
        sorts?: unknown;
      };
      const groups = request?.filterGroups ?? [];
      if (!Array.isArray(groups) || groups.length > 5) return invalid('filterGroups: at most 5 groups');
      const limit = request.limit ?? 10;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 200)
        return invalid('limit must be between 1 and 200');
      if (request.after !== undefined && (typeof request.after !== 'string' || !/^\d+$/.test(request.after)))
        return invalid('after must be a paging cursor');
      if (request.properties !== undefined && !Array.isArray(request.properties))
        return invalid('properties must be an array');
      for (const group of groups as Array<{ filters?: unknown }>) {
        if (!Array.isArray(group?.filters) || group.filters.length > 6)
          return invalid('each filter group needs 1–6 filters');
        for (const filter of group.filters as Array<Record<string, unknown>>) {
          if (typeof filter.propertyName !== 'string' || typeof filter.operator !== 'string')
            return invalid('each filter needs propertyName and operator');
          if (!['EQ', 'NEQ', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY'].includes(filter.operator))
            return invalid(`operator ${filter.operator} is not supported by this fake`);
        }
      }
      const matches = (record: FakeRecord) =>
        groups.length === 0 ||
        (
          groups as Array<{ filters: Array<{ propertyName: string; operator: string; value?: unknown }> }>
        ).some((group) =>
          group.filters.every((filter) => {
            const value = record.properties[filter.propertyName];
            const wanted = String(filter.value ?? '').toLowerCase();
            switch (filter.operator) {
              case 'EQ':
                return value !== undefined && value.toLowerCase() === wanted;
              case 'NEQ':
                return value === undefined || value.toLowerCase() !== wanted;
              case 'HAS_PROPERTY':
                return value !== undefined && value !== '';
              default:
                return value === undefined || value === '';
            }
          }),
        );
      // Without sorts HubSpot orders by id ascending (newest records last).
      const all = [...recordsOf(type).values()].filter((record) => !record.archived && matches(record));
      const start = Number(request.after ?? 0);
      const page = all.slice(start, start + limit);
      return {
        status: 200,
        body: {
          total: all.length,
          results: page.map((record) =>
            present(state, type, record, (request.properties as string[] | undefined) ?? null),
          ),
          ...(start + limit < all.length
            ? { paging: { next: { after: String(start + limit), link: '?after=' } } }
            : {}),
        },
      };
    },

    /** POST /crm/v3/objects/{type}/batch/read with `{ properties, inputs: [{ id }] }` (207 with `errors` when ids are missing). */
    batchRead(type: string, body: unknown): FakeAnswer {
      if (!isType(type)) return notFound();
      const request = body as { properties?: unknown; inputs?: unknown };
      if (!Array.isArray(request?.inputs) || request.inputs.length === 0)
        return invalid('inputs must be a non-empty array');
      if (request.inputs.length > 100) return invalid('at most 100 inputs per batch');
      if (!Array.isArray(request.properties)) return invalid('properties must be an array');
      const ids = (request.inputs as Array<{ id?: unknown }>).map((input) => String(input?.id ?? ''));
      const found = ids
        .map((id) => recordsOf(type).get(id))
        .filter((record): record is FakeRecord => !!record && !record.archived);
      const missing = ids.filter((id) => !found.some((record) => record.id === id));
      const now = clock().toISOString();
      return {
        status: missing.length > 0 ? 207 : 200,
        body: {
          status: 'COMPLETE',
          results: found.map((record) => present(state, type, record, request.properties as string[])),
          startedAt: now,
          completedAt: now,
          ...(missing.length > 0
            ? {
                numErrors: 1,
                errors: [
                  {
                    status: 'error',
                    category: 'OBJECT_NOT_FOUND',
                    message: 'Could not get some records',
                    context: { ids: missing },
                  },
                ],
              }
            : {}),
        },
      };
    },

    /** GET /crm/v4/objects/{from}/{id}/associations/{to}?limit&after */
    associations(fromType: string, id: string, toType: string, query: URLSearchParams): FakeAnswer {
      if (!isType(fromType) || !isType(toType)) return invalid('unknown object type');
      if (!recordsOf(fromType).has(id)) return notFound();
      const limit = Number(query.get('limit') ?? 500);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        return invalid('limit must be between 1 and 500');
      const byTarget = new Map<string, number[]>();
      for (const edge of state.associations) {
        if (edge.from.type === fromType && edge.from.id === id && edge.to.type === toType)
          byTarget.set(edge.to.id, [...(byTarget.get(edge.to.id) ?? []), edge.typeId]);
        if (edge.to.type === fromType && edge.to.id === id && edge.from.type === toType)
          byTarget.set(edge.from.id, [...(byTarget.get(edge.from.id) ?? []), edge.inverseTypeId]);
      }
      const rows = [...byTarget.entries()].sort(([a], [b]) => Number(a) - Number(b));
      const start = Number(query.get('after') ?? 0);
      return {
        status: 200,
        body: {
          results: rows.slice(start, start + limit).map(([toObjectId, typeIds]) => ({
            toObjectId: Number(toObjectId),
            associationTypes: typeIds.map((typeId) => ({
              category: 'HUBSPOT_DEFINED',
              typeId,
              label: associationTypes[typeId]?.label ?? null,
            })),
          })),
          ...(start + limit < rows.length ? { paging: { next: { after: String(start + limit) } } } : {}),
        },
      };
    },

    /**
     * PUT /crm/v4/objects/{from}/{fromId}/associations/default/{to}/{toId}: the default association;
     * a contact's first company becomes its primary one too, as in HubSpot.
     */
    associateDefault(fromType: string, fromId: string, toType: string, toId: string): FakeAnswer {
      if (!isType(fromType) || !isType(toType)) return invalid('unknown object type');
      if (!recordsOf(fromType).has(fromId) || !recordsOf(toType).has(toId)) return notFound();
      const typeId = defaultAssociationType(fromType, toType);
      if (typeId === null) return invalid(`no default association from ${fromType} to ${toType}`);
      const failed = associate(fromType, fromId, typeId, toId);
      if (failed) return failed;
      if (fromType === 'contacts' && toType === 'companies') {
        const hasPrimary = state.associations.some(
          (edge) => edge.from.type === 'contacts' && edge.from.id === fromId && edge.typeId === 1,
        );
        if (!hasPrimary) associate('contacts', fromId, 1, toId);
      }
      return {
        status: 200,
        body: {
          status: 'COMPLETE',
          results: [
            {
              from: { id: fromId },
              to: { id: toId },
              associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId },
            },
          ],
        },
      };
    },

    /** GET /crm/v3/owners/{ownerId} */
    owner(id: string): FakeAnswer {
      const owner = state.owners.get(id);
      if (!owner) return notFound();
      const now = clock().toISOString();
      return {
        status: 200,
        body: { ...owner, userId: Number(owner.id), createdAt: now, updatedAt: now, archived: false },
      };
    },

    /** GET /crm/v3/properties/{type}/{name} */
    property(type: string, name: string): FakeAnswer {
      if (!isType(type) || !state.properties.get(type)!.has(name))
        return hubspotError(
          404,
          'OBJECT_NOT_FOUND',
          `Unable to find property ${name} for object type ${type}`,
        );
      return {
        status: 200,
        body: {
          name,
          label: name,
          type: 'string',
          fieldType: 'text',
          groupName: `${type}information`,
          hidden: false,
        },
      };
    },

    /** POST /crm/v3/properties/{type} with `{ name, label, type, fieldType, groupName }` → 201, 409 when it exists. */
    createProperty(type: string, body: unknown): FakeAnswer {
      if (!isType(type)) return notFound();
      const request = body as {
        name?: unknown;
        label?: unknown;
        type?: unknown;
        fieldType?: unknown;
        groupName?: unknown;
      };
      if (typeof request?.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(request.name))
        return invalid('name must be a lower-case internal name');
      for (const field of ['label', 'type', 'fieldType', 'groupName'] as const)
        if (typeof request[field] !== 'string') return invalid(`${field} is required`);
      const defined = state.properties.get(type)!;
      if (defined.has(request.name))
        return hubspotError(
          409,
          'OBJECT_ALREADY_EXISTS',
          `A property named '${request.name}' already exists.`,
        );
      defined.add(request.name);
      return {
        status: 201,
        body: {
          name: request.name,
          label: request.label,
          type: request.type,
          fieldType: request.fieldType,
          groupName: request.groupName,
        },
      };
    },
  };
}
