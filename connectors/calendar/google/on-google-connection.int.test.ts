import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.ts';
import { clearWorld, loadWorld } from '../../../db/world/load-world.ts';
import {
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '../../../test/fakes/google-calendar/server.ts';
import { type FakeGoogleOAuth, startFakeGoogleOAuth } from '../../../test/fakes/google-oauth/server.ts';
import { createGoogleTokenBook } from '../../../test/fakes/google-oauth/token-book.ts';
import { createTestDatabase, testDatabaseKind } from '../../../test/support/database.ts';
import { vendorBackend } from '../../backends/catalogue.ts';
import { createContactDirectory } from '../../backends/directory.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../../core/connector-gateway.ts';
import type { CallerSession } from '../../core/definition.ts';
import { parseMasterKeys } from '../../core/master-key.ts';
import { type CredentialVault, createVault } from '../../core/vault.ts';
import { createGoogleConnection, type GoogleWorkspace } from '../../google/auth/google-connection.ts';
import type { GoogleFeature } from '../../google/connection.ts';
import { calendarTestWorld, testNow } from '../test-support.ts';

/** A fixed, public master key: tests only. */
const testMasterKey = 'test:W7QM5WDe06FG8fxWtmaj6vmq1ABctRNHHxQmyl1N1NE=';
const redirectUri = 'https://switchboard.example/admin/google/callback';

let database: Database;
let vault: CredentialVault;
let oauth: FakeGoogleOAuth;
let fake: FakeGoogleCalendar;
let google: GoogleWorkspace;
let gateway: ManagedConnectorGateway;

const maya: CallerSession = {
  conversationId: 'conv_gc1',
  actor: 'agent',
  customer: { contactId: 'ct_1', accountId: 'acc_1', verified: true },
};
const refreshes = () => oauth.grants.filter((grant) => grant.grantType === 'refresh_token').length;

async function connect(features: GoogleFeature[]) {
  const client = (await google.oauthClient())!;
  const { url, codeVerifier } = await client.authorization(features, 'state-for-test-0123456789');
  const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
  const grant = await client.exchange(back.searchParams.get('code')!, codeVerifier);
  await google.connect(grant);
  return grant;
}

beforeAll(async () => {
  database = await createTestDatabase();
  vault = createVault({ db: database.pool, masterKeys: parseMasterKeys(testMasterKey, 'test key') });
  const book = createGoogleTokenBook();
  oauth = await startFakeGoogleOAuth({ book, client: { redirectUris: [redirectUri] } });
  fake = await startFakeGoogleCalendar({ book, tokens: [] });
  google = createGoogleConnection({
    vault,
    env: {
      clientId: oauth.client.clientId,
      clientSecret: oauth.client.clientSecret,
      redirectUrl: redirectUri,
    },
    endpoints: {
      authUrl: oauth.authUrl,
      tokenUrl: oauth.tokenUrl,
      revokeUrl: oauth.revokeUrl,
      tokenInfoUrl: oauth.tokenInfoUrl,
      rootUrl: fake.url,
    },
  });
  const backend = vendorBackend('calendar', 'google')!;
  const values = {
    calendar_ids: JSON.stringify({ 'LENA@lumen.example': 'lena-team@group.calendar.google.com' }),
  };
  expect(backend.validate(values)).toBeNull();
  const calendar = backend.build(values, {
    db: database.pool,
    directory: createContactDirectory(database.pool),
    vault,
    google,
  });
  gateway = createConnectorGateway({
    db: database.pool,
    connectors: [calendar],
    now: () => testNow,
    resilience: { retry: { initialDelayMs: 1, maxDelayMs: 5 } },
    random: () => 0.5,
  });
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  await oauth?.close();
  await fake?.close();
  await database?.close();
});

beforeEach(async () => {
  await clearWorld(database.pool);
  await loadWorld(database.pool, calendarTestWorld);
  fake.reset();
  await google.disconnect();
});

/**
 * On PGlite too: the token is taken before a booking's transaction opens (a vault read inside it
 * would wait for the embedded database's single connection).
 */
describe(`Google Calendar on the Google Workspace connection (${testDatabaseKind()})`, () => {
  it('books into the engineer’s mapped calendar with the connection’s token', async () => {
    await connect(['calendar']);
    const result = await gateway.callByName(maya, 'calendar', 'book', {
      engineer_id: 'eng_1',
      start: '2026-11-23T09:00:00Z',
    });
    expect(result).toMatchObject({ status: 'ok', data: { start: '2026-11-23T09:00:00Z' } });
    expect(fake.liveEvents('lena-team@group.calendar.google.com')).toHaveLength(1);
    expect(fake.liveEvents('lena@lumen.example')).toHaveLength(0);
    const token = await vault.get('google', 'oauth_access_token');
    expect(fake.state.requests.every((request) => request.authorization === `Bearer ${token}`)).toBe(true);
  });

  it('a token Google stopped accepting (401) is refreshed once and the booking goes through', async () => {
    const grant = await connect(['calendar']);
    oauth.book.revoke(grant.accessToken);
    const before = refreshes();
    const result = await gateway.callByName(maya, 'calendar', 'book', {
      engineer_id: 'eng_1',
      start: '2026-11-23T10:00:00Z',
    });
    expect(result).toMatchObject({ status: 'ok' });
    expect(refreshes()).toBe(before + 1);
    expect(fake.state.requests.filter((request) => request.status === 401)).toHaveLength(1);
  });

  it('a revoked grant fails the booking as an auth error, with nothing booked', async () => {
    const grant = await connect(['calendar']);
    oauth.revokeRefreshToken(grant.refreshToken);
    const result = await gateway.callByName(maya, 'calendar', 'book', {
      engineer_id: 'eng_1',
      start: '2026-11-23T11:00:00Z',
    });
    expect(result).toMatchObject({ status: 'error', error: { kind: 'auth_expired' } });
    expect(fake.liveEvents('lena-team@group.calendar.google.com')).toHaveLength(0);
    expect(await google.status()).toMatchObject({ state: 'invalid' });
  });

  it('a connection without the calendar feature is refused (forbidden), Google never asked', async () => {
    await connect(['drive']);
    const result = await gateway.callByName(maya, 'calendar', 'book', {
      engineer_id: 'eng_1',
      start: '2026-11-23T12:00:00Z',
    });
    expect(result).toMatchObject({ status: 'error', error: { kind: 'forbidden' } });
    expect(fake.state.requests).toHaveLength(0);
  });

  it('validates the engineer → calendar mapping', () => {
    const backend = vendorBackend('calendar', 'google')!;
    expect(backend.validate({ calendar_ids: 'not json' })).toMatch(/must be JSON/);
    expect(backend.validate({ calendar_ids: '{"lena": "x@y"}' })).toMatch(/keys are engineers/);
    expect(backend.validate({ calendar_ids: '{"lena@lumen.example": "no spaces allowed @ here"}' })).toMatch(
      /calendar id/,
    );
    expect(backend.validate({ calendar_ids: '{"lena@lumen.example": "primary"}' })).toBeNull();
  });
});
