import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent, CustomerSession } from '../../agent/events.ts';
import { extractCode } from '../../evals/mailbox.ts';
import { hubspotSeeder } from '../../test/fakes/hubspot/seed.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../test/fakes/hubspot/server.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';

/**
 * With the CRM on HubSpot, a customer HubSpot knows but our directory does not can still be
 * verified: by an identity token naming their email, or by a one-time code to their address. The
 * contact and company are taken into our directory with HubSpot's references (#16).
 */
describe(`identity provisioning from the HubSpot CRM on ${testDatabaseKind()}`, () => {
  let api: TestApi;
  let fake: FakeHubSpot;
  const hs = {} as { company: string; nina: string; omar: string };

  beforeAll(async () => {
    api = await createTestApi();
    fake = await startFakeHubSpot();
    const seed = hubspotSeeder(fake);
    for (const name of ['switchboard_tier', 'switchboard_region', 'switchboard_account_id'])
      await seed.property('companies', name);
    await seed.property('contacts', 'switchboard_contact_id');
    hs.company = await seed.company({
      name: 'Newco',
      switchboard_tier: 'business',
      switchboard_region: 'NA',
    });
    hs.nina = await seed.contact(
      { email: 'nina@newco.test', firstname: 'Nina', lastname: 'Park', jobtitle: 'Ops lead' },
      hs.company,
    );
    hs.omar = await seed.contact({ email: 'omar@newco.test', firstname: 'Omar' }, hs.company);
    const admin = await loginAs(api.app, api.database.pool, 'admin');
    const chosen = await api.app.inject({
      method: 'PUT',
      url: '/api/admin/backends/crm',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
      payload: {
        backend: 'hubspot',
        settings: { api_base: fake.url },
        secrets: { access_token: fake.token },
      },
    } satisfies InjectOptions);
    expect(chosen.statusCode).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  const directoryRow = async (email: string) =>
    (
      await api.database.pool.query(
        `SELECT c.id, c.name, c.title, c.external_ref AS contact_ref, a.id AS account_id, a.name AS account,
                a.tier, a.region, a.external_ref AS account_ref
           FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE lower(c.email) = lower($1)`,
        [email],
      )
    ).rows;

  it('starts a verified conversation from an identity token naming a HubSpot-only customer', async () => {
    expect(await directoryRow('nina@newco.test')).toEqual([]);
    const identityToken = await api.context.identity.signDemoToken!('nina@newco.test');
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken },
    });
    expect(started.statusCode).toBe(201);
    expect(started.json().customer).toMatchObject({ name: 'Nina Park' });
    expect(await directoryRow('nina@newco.test')).toEqual([
      {
        id: expect.stringMatching(/^ct_crm_[0-9a-f]{16}$/),
        name: 'Nina Park',
        title: 'Ops lead',
        contact_ref: `contacts/${hs.nina}`,
        account_id: expect.stringMatching(/^acc_crm_[0-9a-f]{16}$/),
        account: 'Newco',
        tier: 'business',
        region: 'NA',
        account_ref: `companies/${hs.company}`,
      },
    ]);
    // The lookup went through the gateway as a system read: audited (the audit is written in batches).
    await expect
      .poll(
        async () =>
          (
            await api.database.pool.query(
              `SELECT actor, outcome FROM audit_log WHERE operation = 'lookup_identity' ORDER BY id`,
            )
          ).rows,
        { timeout: 10_000 },
      )
      .toContainEqual({ actor: 'system', outcome: 'ok' });
  });

  it('sends a one-time code to a HubSpot-only customer, whose colleague then shares the same account', async () => {
    const visitor: CustomerSession = { contactId: null, verified: false, channel: 'chat' };
    const events: AgentEvent[] = [];
    for await (const event of api.context.switchboard.conversations.converse(
      'conv_provision_1',
      'Please verify me, my account email is omar@newco.test',
      visitor,
    ))
      events.push(event);
    const mails = await api.database.pool.query<{ to_address: string; text_body: string }>(
      `SELECT to_address, text_body FROM email_outbox WHERE conversation_id = 'conv_provision_1' AND template = 'verification_code'`,
    );
    expect(mails.rows.map((row) => row.to_address)).toEqual(['omar@newco.test']);
    expect(extractCode(mails.rows[0]!.text_body)).toMatch(/^\d{6}$/);
    const [omar] = await directoryRow('omar@newco.test');
    const [nina] = await directoryRow('nina@newco.test');
    expect(omar).toMatchObject({
      contact_ref: `contacts/${hs.omar}`,
      account_ref: `companies/${hs.company}`,
    });
    expect(omar.account_id).toBe(nina.account_id);
  });

  it('takes nothing for an address HubSpot does not know', async () => {
    const identityToken = await api.context.identity.signDemoToken!('nobody@nowhere.test');
    const refused = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken },
    });
    expect(refused.statusCode).toBe(401);
    expect(await directoryRow('nobody@nowhere.test')).toEqual([]);
  });
});
