import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivacyWorld, seedPrivacyWorld } from '../../conversations/testing/privacy-world.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { erasureResultSchema, privacyExportSchema } from '../contract/admin.ts';

let api: TestApi;
let admin: Awaited<ReturnType<typeof loginAs>>;
let agent: Awaited<ReturnType<typeof loginAs>>;
let world: PrivacyWorld;

const as = (who: { cookie: string; csrfToken: string }, options: InjectOptions) =>
  api.app.inject({
    ...options,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, ...options.headers },
  });
const exportUrl = (contactId: string) =>
  `/api/admin/privacy/contacts/${encodeURIComponent(contactId)}/export`;
const eraseUrl = (contactId: string) => `/api/admin/privacy/contacts/${encodeURIComponent(contactId)}/erase`;

beforeAll(async () => {
  api = await createTestApi({ seed: false });
  world = await seedPrivacyWorld(api.database.pool, 'r_');
  admin = await loginAs(api.app, api.database.pool, 'admin');
  agent = await loginAs(api.app, api.database.pool, 'agent');
}, 120_000);
afterAll(async () => api?.close());

describe(`privacy admin routes (${testDatabaseKind()})`, () => {
  it('refuse anyone without an admin session', async () => {
    for (const options of [
      { method: 'GET', url: exportUrl(world.alice.contactId) },
      { method: 'GET', url: `/api/admin/privacy/export?email=${world.alice.email}` },
      { method: 'POST', url: eraseUrl(world.alice.contactId), payload: { confirmEmail: world.alice.email } },
    ] as const) {
      const anonymous = await api.app.inject(options);
      expect(anonymous.statusCode, options.url).toBe(401);
      const humanAgent = await as(agent, options);
      expect(humanAgent.statusCode, options.url).toBe(403);
    }
    expect(await api.database.pool.query('SELECT 1 FROM privacy_erasures')).toMatchObject({ rowCount: 0 });
  });

  it('export by id and by email: the contract’s document, the contact’s data only', async () => {
    const byId = await as(admin, { method: 'GET', url: exportUrl(world.alice.contactId) });
    expect(byId.statusCode).toBe(200);
    const document = privacyExportSchema.parse(byId.json());
    expect(document.contact.id).toBe(world.alice.contactId);
    expect(document.conversations.map((conversation) => conversation.id)).toEqual([
      world.alice.conversationId,
    ]);
    expect(byId.body).not.toContain(world.bob.email);
    const byEmail = await as(admin, {
      method: 'GET',
      url: `/api/admin/privacy/export?email=${encodeURIComponent(world.alice.email)}`,
    });
    expect(byEmail.statusCode).toBe(200);
    expect({ ...byEmail.json(), generatedAt: '' }).toEqual({ ...document, generatedAt: '' });
  });

  it('unknown contact: 404; malformed address: 400', async () => {
    const unknown = await as(admin, { method: 'GET', url: exportUrl('ct_nobody') });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
    const unknownErase = await as(admin, {
      method: 'POST',
      url: eraseUrl('ct_nobody'),
      payload: { confirmEmail: 'nobody@example.com' },
    });
    expect(unknownErase.statusCode).toBe(404);
    const malformed = await as(admin, {
      method: 'GET',
      url: '/api/admin/privacy/export?email=not-an-address',
    });
    expect(malformed.statusCode).toBe(400);
  });

  it('NUL bytes in the path, the query or the body: 400 validation_failed, nothing erased', async () => {
    for (const options of [
      { method: 'GET', url: exportUrl('ct\u0000x') },
      { method: 'GET', url: `/api/admin/privacy/export?email=${encodeURIComponent('a\u0000@b.example')}` },
      {
        method: 'POST',
        url: eraseUrl(world.alice.contactId),
        payload: { confirmEmail: `${world.alice.email}\u0000` },
      },
    ] as const) {
      const response = await as(admin, options);
      expect(response.statusCode, options.url).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    }
    expect(await api.database.pool.query('SELECT 1 FROM privacy_erasures')).toMatchObject({ rowCount: 0 });
  });

  it('erase refuses a wrong or missing confirmation (400) and a write without the CSRF token, changing nothing', async () => {
    const wrong = await as(admin, {
      method: 'POST',
      url: eraseUrl(world.alice.contactId),
      payload: { confirmEmail: world.bob.email },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('validation_failed');
    const missing = await as(admin, { method: 'POST', url: eraseUrl(world.alice.contactId), payload: {} });
    expect(missing.statusCode).toBe(400);
    const noCsrf = await api.app.inject({
      method: 'POST',
      url: eraseUrl(world.alice.contactId),
      payload: { confirmEmail: world.alice.email },
      headers: { cookie: admin.cookie },
    });
    expect(noCsrf.statusCode).toBe(403);
    const { rows } = await api.database.pool.query('SELECT name FROM contacts WHERE id = $1', [
      world.alice.contactId,
    ]);
    expect(rows[0].name).toBe(world.alice.name);
  });

  it('erase with the address: 200 with the counts, audited with the admin; a second time is fine', async () => {
    const first = await as(admin, {
      method: 'POST',
      url: eraseUrl(world.alice.contactId),
      payload: { confirmEmail: world.alice.email.toUpperCase() },
    });
    expect(first.statusCode).toBe(200);
    const result = erasureResultSchema.parse(first.json());
    expect(result).toMatchObject({ contactId: world.alice.contactId, alreadyErased: false });
    expect(result.counts).toMatchObject({ conversations: 1, messages: 3, checkpoints: 2, outboxEmails: 1 });
    const second = await as(admin, {
      method: 'POST',
      url: eraseUrl(world.alice.contactId),
      payload: { confirmEmail: world.alice.email },
    });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ alreadyErased: true, counts: { conversations: 0, messages: 0 } });
    const audit = await as(admin, { method: 'GET', url: '/api/admin/audit?connector=privacy' });
    const entries = audit.json().entries as Array<{ actor: string; detail: Record<string, unknown> }>;
    expect(entries.map((entry) => entry.detail.already_erased)).toEqual([true, false]);
    expect(entries[1]!.detail).toMatchObject({
      contact_id: world.alice.contactId,
      erased_by: { human_id: admin.human.id },
    });
    // Bob is untouched.
    const bob = await as(admin, { method: 'GET', url: exportUrl(world.bob.contactId) });
    expect(bob.json().conversations).toHaveLength(1);
    expect(bob.json().contact.name).toBe('Bob Baker');
  });

  it('are in the OpenAPI document with the admin session scheme', async () => {
    const spec = (await api.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown; tags?: string[] }>>;
    };
    for (const [path, method] of [
      ['/api/admin/privacy/contacts/{contactId}/export', 'get'],
      ['/api/admin/privacy/export', 'get'],
      ['/api/admin/privacy/contacts/{contactId}/erase', 'post'],
    ] as const) {
      expect(spec.paths[path]?.[method], path).toMatchObject({
        tags: ['admin'],
        security: [{ consoleSession: [] }],
      });
    }
  });
});
