import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { hubspotSeeder } from '../../../test/fakes/hubspot/seed.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../../test/fakes/hubspot/server.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { customerSession } from '../../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../../core/connector-gateway.ts';
import type { ConnectorDefinition } from '../../core/definition.ts';
import { parseMasterKeys } from '../../core/master-key.ts';
import type { OAuthTokenManager } from '../../core/oauth.ts';
import { type CredentialVault, createVault } from '../../core/vault.ts';
import { crmPolicy } from '../policy.ts';
import { createHubSpotCrmConnector } from './index.ts';
import { createHubSpotOAuthClient, createHubSpotTokenManager, type HubSpotOAuthClient } from './oauth.ts';

/** A fixed, public master key: tests only. */
const testMasterKey = 'test:W7QM5WDe06FG8fxWtmaj6vmq1ABctRNHHxQmyl1N1NE=';

/** One clock for the fake (token expiry) and the token manager. */
let clock = new Date('2026-11-20T09:00:00Z');
const now = () => new Date(clock);

let database: Database;
let vault: CredentialVault;
let fake: FakeHubSpot;
let client: HubSpotOAuthClient;
let manager: OAuthTokenManager;
let connector: ConnectorDefinition;
let gateway: ManagedConnectorGateway;
const maya = customerSession('ct_1', 'acc_1', { conversationId: 'conv_o1' });

const refreshes = () => fake.oauth.grants.filter((grant) => grant.grantType === 'refresh_token');

beforeAll(async () => {
  database = await createTestDatabase();
  vault = createVault({ db: database.pool, masterKeys: parseMasterKeys(testMasterKey, 'test key') });
  fake = await startFakeHubSpot({ now, oauth: { accessTokenSeconds: 1800 } });
  const seed = hubspotSeeder(fake);
  await seed.property('notes', 'switchboard_idempotency_key');
  await seed.contact({ email: 'maya@brightpath.io', firstname: 'Maya', lastname: 'Chen' });

  client = createHubSpotOAuthClient(
    {
      clientId: fake.oauth.app.clientId,
      clientSecret: fake.oauth.app.clientSecret,
      redirectUri: 'https://switchboard.example/admin?connect=hubspot',
      apiBase: fake.url,
      authorizeUrl: `${fake.url}/oauth/authorize`,
    },
    now,
  );
  manager = createHubSpotTokenManager({ vault, client, clock: now });
  // What the admin's "Connect HubSpot" does: the install page approves, the code is exchanged, stored.
  const approved = await fetch(client.authorizeUrl('state-0123456789abcdef'), { redirect: 'manual' });
  const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
  await manager.store(await client.exchange(code));

  // As the catalogue builds the OAuth-configured HubSpot backend.
  connector = createHubSpotCrmConnector({
    token: () => manager.get(),
    onUnauthorized: (refused) => manager.invalidate(refused),
    baseUrl: fake.url,
    timeoutMs: 2_000,
    customerCacheMs: 0,
    customerOf: async () => ({ email: 'maya@brightpath.io' }),
    contactOfEmail: async () => ({ contactId: 'ct_1', accountId: 'acc_1' }),
  });
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [connector],
    policies: { crm: crmPolicy },
    now,
    policyCacheMs: 0,
    resilience: { retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 } },
  });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await fake?.close();
  await database?.close();
});

const getContact = () => gateway.callByName(maya, 'crm', 'get_contact', {});

describe(`the HubSpot backend on OAuth tokens from the vault (${testDatabaseKind()})`, () => {
  it('calls HubSpot with the stored access token and reports healthy', async () => {
    expect(await getContact()).toMatchObject({ status: 'ok', data: { id: 'ct_1', name: 'Maya Chen' } });
    expect(await connector.check(AbortSignal.timeout(5_000))).toEqual({
      ok: true,
      detail: 'HubSpot CRM reachable',
    });
    expect(refreshes()).toHaveLength(0);
  });

  it('refreshes once for concurrent callers after the access token expired', async () => {
    const before = await vault.get('crm', 'oauth_access_token');
    clock = new Date(clock.getTime() + 31 * 60_000); // past the 30 minutes HubSpot gave
    const results = await Promise.all(Array.from({ length: 6 }, () => getContact()));
    expect(results.every((result) => result.status === 'ok')).toBe(true);
    expect(refreshes()).toEqual([{ grantType: 'refresh_token', status: 200 }]);
    const after = await vault.get('crm', 'oauth_access_token');
    expect(after).not.toBe(before);
    expect(fake.oauth.accessTokenState(after!)).toBe('valid');
  });

  it('refreshes once when HubSpot refuses a token before its expiry (401), and the call succeeds', async () => {
    fake.oauth.expireAccessTokens(); // HubSpot no longer takes it, though our expiry says it is fresh
    const results = await Promise.all(Array.from({ length: 4 }, () => getContact()));
    expect(results.every((result) => result.status === 'ok')).toBe(true);
    expect(refreshes()).toHaveLength(2);
  });

  it('reports unhealthy and auth_expired honestly once the refresh token is revoked', async () => {
    fake.oauth.revokeAll(); // the app was uninstalled from the portal
    clock = new Date(clock.getTime() + 31 * 60_000);
    const result = await getContact();
    expect(result).toMatchObject({ status: 'error', error: { kind: 'auth_expired' } });
    const health = await connector.check(AbortSignal.timeout(5_000));
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(
      /HubSpot authorization failed: OAuth refresh for crm failed \(auth_expired\)/,
    );
    expect(refreshes().at(-1)).toEqual({ grantType: 'refresh_token', status: 400 });
    // Neither the refresh token nor the client secret is in what the caller sees.
    const refreshToken = (await vault.get('crm', 'oauth_refresh_token'))!;
    for (const text of [JSON.stringify(result), health.detail]) {
      expect(text).not.toContain(refreshToken);
      expect(text).not.toContain(fake.oauth.app.clientSecret);
    }
  });

  it('maps a refused refresh token to auth_expired, not retryable, without echoing it', async () => {
    const error = await client.refresh('refresh-fake-unknown').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: 'auth_expired', retryable: false });
    expect((error as Error).message).toMatch(/BAD_REFRESH_TOKEN/);
    expect((error as Error).message).not.toContain('refresh-fake-unknown');
  });
});
