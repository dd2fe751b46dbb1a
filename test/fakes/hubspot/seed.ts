import type { FakeHubSpot } from './server.ts';
import type { FakeObjectType } from './state.ts';

/**
 * Seeds the fake HubSpot portal through its own API, as an admin would set a real portal up: custom
 * properties, companies, contacts, default associations, engagements created with their associations.
 */
export function hubspotSeeder(fake: FakeHubSpot) {
  async function call(method: string, path: string, body?: unknown): Promise<{ id?: string }> {
    const response = await fetch(fake.url + path, {
      method,
      headers: {
        authorization: `Bearer ${fake.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`seeding ${method} ${path} failed (${response.status}): ${text}`);
    return JSON.parse(text) as { id?: string };
  }
  const create = async (
    type: FakeObjectType,
    properties: Record<string, string>,
    associations: unknown[] = [],
  ) => (await call('POST', `/crm/v3/objects/${type}`, { properties, associations })).id!;

  return {
    /** A custom property (single-line text), e.g. the note property holding add_note's idempotency key. */
    property: (type: FakeObjectType, name: string) =>
      call('POST', `/crm/v3/properties/${type}`, {
        name,
        label: name,
        type: 'string',
        fieldType: 'text',
        groupName: `${type.replace(/s$/, '')}information`,
      }),
    company: (properties: Record<string, string>) => create('companies', properties),
    /** A contact, associated with its company (the first company becomes the primary one). */
    async contact(properties: Record<string, string>, companyId?: string): Promise<string> {
      const id = await create('contacts', properties);
      if (companyId) await this.associate('contacts', id, 'companies', companyId);
      return id;
    },
    associate: (from: FakeObjectType, fromId: string, to: FakeObjectType, toId: string) =>
      call('PUT', `/crm/v4/objects/${from}/${fromId}/associations/default/${to}/${toId}`),
    /** A note, call, email or meeting on a contact (association types 202, 194, 198, 200). */
    engagement(
      type: 'notes' | 'calls' | 'emails' | 'meetings',
      contactId: string,
      properties: Record<string, string>,
    ): Promise<string> {
      const typeId = { notes: 202, calls: 194, emails: 198, meetings: 200 }[type];
      return create(type, properties, [
        {
          to: { id: contactId },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }],
        },
      ]);
    },
  };
}
