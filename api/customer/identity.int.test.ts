import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import { createTestDatabase } from '../../test/support/database.ts';
import { createCustomerIdentity, IdentityError } from './identity.ts';

/** A company backend's JWKS endpoint, as jose's remote key set fetches it. */
let jwksServer: Server;
let jwksUrl: string;
let database: Database;
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let requests = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadWorld(database.pool, {
    accounts: [{ id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' }],
    contacts: [{ id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' }],
  });
  keys = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((request, response) => {
    requests += 1;
    if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const { port } = jwksServer.address() as { port: number };
  jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
}, 60_000);
afterAll(async () => {
  jwksServer?.close();
  await database?.close();
});

const signRs256 = (claims: Record<string, unknown>, privateKey = keys.privateKey, kid = 'key-1') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer('https://app.brightpath.example')
    .setAudience('switchboard')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);

describe('customer identity from a JWKS URL', () => {
  it('verifies an RS256 token by its key id and finds the contact by subject', async () => {
    const identity = createCustomerIdentity({
      pool: database.pool,
      jwksUrl,
      issuer: 'https://app.brightpath.example',
      audience: 'switchboard',
    });
    expect(identity.enabled).toBe(true);
    expect(await identity.verify(await signRs256({ sub: 'ct_1' }))).toEqual({
      contactId: 'ct_1',
      accountId: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
    });
    expect(requests).toBeGreaterThan(0);
  });

  it('refuses a token signed by another key, for another audience, or with HS256', async () => {
    const identity = createCustomerIdentity({ pool: database.pool, jwksUrl, audience: 'switchboard' });
    const stranger = await generateKeyPair('RS256');
    await expect(identity.verify(await signRs256({ sub: 'ct_1' }, stranger.privateKey))).rejects.toThrow(
      IdentityError,
    );
    const otherAudience = await new SignJWT({ sub: 'ct_1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setAudience('someone-else')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    await expect(identity.verify(otherAudience)).rejects.toThrow(/invalid/);
    // An attacker who knows the public key must not be able to sign HS256 tokens with it.
    const hs256 = await new SignJWT({ sub: 'ct_1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    await expect(identity.verify(hs256)).rejects.toThrow(IdentityError);
  });

  it('refuses every token when nothing is configured', async () => {
    const identity = createCustomerIdentity({ pool: database.pool });
    expect(identity.enabled).toBe(false);
    await expect(identity.verify(await signRs256({ sub: 'ct_1' }))).rejects.toThrow(/not accepted/);
  });
});

describe('identity token lifetime', () => {
  const secret = 'lifetime-test-secret-0123456789abcdef';
  const now = () => Math.floor(Date.now() / 1000);
  /** Signs exactly the claims given: no iat or exp is added. */
  const signRaw = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

  it('accepts a token whose lifetime is within the bound', async () => {
    const identity = createCustomerIdentity({ pool: database.pool, secret, maxLifetimeSeconds: 3600 });
    const token = await signRaw({ sub: 'ct_1', iat: now(), exp: now() + 3600 });
    expect((await identity.verify(token)).contactId).toBe('ct_1');
  });

  it.each([
    // The attack run's token: exp in the year 33658.
    ['exp in the year 33658', () => ({ sub: 'ct_1', iat: now(), exp: 1_000_000_000_000 }), /lifetime/],
    ['no exp', () => ({ sub: 'ct_1', iat: now() }), /exp/],
    ['no iat', () => ({ sub: 'ct_1', exp: now() + 60 }), /iat/],
    ['iat in the future', () => ({ sub: 'ct_1', iat: now() + 7200, exp: now() + 7260 }), /iat|future/],
    [
      'a lifetime one second over the bound',
      () => ({ sub: 'ct_1', iat: now(), exp: now() + 3601 }),
      /lifetime/,
    ],
    ['iat older than the bound', () => ({ sub: 'ct_1', iat: now() - 7200, exp: now() + 60 }), /expired/],
  ])('refuses a token with %s', async (_name, claims, reason) => {
    const identity = createCustomerIdentity({ pool: database.pool, secret, maxLifetimeSeconds: 3600 });
    const verifying = identity.verify(await signRaw(claims()));
    await expect(verifying).rejects.toThrow(IdentityError);
    await expect(verifying).rejects.toThrow(reason);
  });

  it('defaults to at most 24 hours', async () => {
    const identity = createCustomerIdentity({ pool: database.pool, secret });
    const day = 24 * 60 * 60;
    expect(
      (await identity.verify(await signRaw({ sub: 'ct_1', iat: now(), exp: now() + day }))).contactId,
    ).toBe('ct_1');
    await expect(
      identity.verify(await signRaw({ sub: 'ct_1', iat: now(), exp: now() + day + 1 })),
    ).rejects.toThrow(/lifetime/);
  });
});
