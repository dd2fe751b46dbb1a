import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { ConnectorError } from './errors.ts';
import type { MasterKeys } from './master-key.ts';
import { createOAuthTokenManager, oauthFields } from './oauth.ts';
import { createVault, VaultError } from './vault.ts';

let database: Database;
const oldKeys: MasterKeys = { keys: { old: randomBytes(32) }, currentKeyId: 'old' };

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.pool.query('DELETE FROM connector_credentials');
});

describe(`credential vault (${testDatabaseKind()})`, () => {
  it('encrypts with AES-256-GCM (random IV, key id) and decrypts', async () => {
    const vault = createVault({ db: database.pool, masterKeys: oldKeys });
    await vault.put('crm', 'api_key', 'sk_live_very_secret');
    await vault.put('mail', 'api_key', 'sk_live_very_secret');
    expect(await vault.get('crm', 'api_key')).toBe('sk_live_very_secret');
    expect(await vault.get('crm', 'missing')).toBeNull();
    const { rows } = await database.pool.query('SELECT * FROM connector_credentials ORDER BY connector_id');
    expect(rows.map((row) => row.key_id)).toEqual(['old', 'old']);
    expect(rows[0].iv).toHaveLength(12);
    expect(rows[0].auth_tag).toHaveLength(16);
    expect(rows[0].iv.equals(rows[1].iv)).toBe(false);
    expect(rows[0].ciphertext.equals(rows[1].ciphertext)).toBe(false);
    expect(JSON.stringify(rows)).not.toContain('very_secret');
    expect(Buffer.concat(rows.map((row) => row.ciphertext)).toString('utf8')).not.toContain('very_secret');
    expect(JSON.stringify(await vault.list())).not.toContain('very_secret');
  });

  it('refuses tampered ciphertext with a clear error that holds no secret', async () => {
    const vault = createVault({ db: database.pool, masterKeys: oldKeys });
    await vault.put('crm', 'api_key', 'sk_live_tamper');
    await database.pool.query(
      `UPDATE connector_credentials SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) WHERE connector_id = 'crm'`,
    );
    const error = (await vault.get('crm', 'api_key').catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(VaultError);
    expect(error.message).toBe(
      'credential crm/api_key failed authentication: the ciphertext was tampered with, moved from another connector/field, or the master key is wrong',
    );
    expect(error.message).not.toContain('sk_live');
  });

  it('refuses a ciphertext moved to another connector or field (additional data mismatch)', async () => {
    const vault = createVault({ db: database.pool, masterKeys: oldKeys });
    await vault.put('crm', 'api_key', 'sk_crm');
    await database.pool.query(
      `INSERT INTO connector_credentials (connector_id, field, key_id, iv, ciphertext, auth_tag)
       SELECT 'billing', 'api_key', key_id, iv, ciphertext, auth_tag FROM connector_credentials WHERE connector_id = 'crm'`,
    );
    await database.pool.query(
      `INSERT INTO connector_credentials (connector_id, field, key_id, iv, ciphertext, auth_tag)
       SELECT 'crm', 'password', key_id, iv, ciphertext, auth_tag FROM connector_credentials WHERE connector_id = 'crm'`,
    );
    await expect(vault.get('billing', 'api_key')).rejects.toThrow(/billing\/api_key failed authentication/);
    await expect(vault.get('crm', 'password')).rejects.toThrow(/crm\/password failed authentication/);
    expect(await vault.get('crm', 'api_key')).toBe('sk_crm');
  });

  it('rotates every credential to the current key; the old key is then no longer needed', async () => {
    await createVault({ db: database.pool, masterKeys: oldKeys }).put('crm', 'api_key', 'sk_a');
    await createVault({ db: database.pool, masterKeys: oldKeys }).put('crm', 'client_secret', 'cs_b', {
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
    const withoutOld: MasterKeys = { keys: { new: randomBytes(32) }, currentKeyId: 'new' };
    await expect(
      createVault({ db: database.pool, masterKeys: withoutOld }).get('crm', 'api_key'),
    ).rejects.toThrow('credential crm/api_key is encrypted with master key "old", which is not configured');
    const both: MasterKeys = { keys: { ...withoutOld.keys, ...oldKeys.keys }, currentKeyId: 'new' };
    expect(await createVault({ db: database.pool, masterKeys: both }).rotate()).toEqual({
      rotated: 2,
      failed: [],
    });
    const onlyNew = createVault({ db: database.pool, masterKeys: withoutOld });
    expect(await onlyNew.get('crm', 'api_key')).toBe('sk_a');
    expect(await onlyNew.getWithExpiry('crm', 'client_secret')).toEqual({
      value: 'cs_b',
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
    expect((await onlyNew.list('crm')).map((info) => info.keyId)).toEqual(['new', 'new']);
    expect(await onlyNew.rotate()).toEqual({ rotated: 0, failed: [] });
  });

  it('lists credentials that cannot be rotated instead of stopping', async () => {
    const vault = createVault({ db: database.pool, masterKeys: oldKeys });
    await vault.put('crm', 'api_key', 'sk_a');
    await vault.put('crm', 'broken', 'sk_b');
    await database.pool.query(
      `UPDATE connector_credentials SET auth_tag = '\\x00000000000000000000000000000000' WHERE field = 'broken'`,
    );
    const rotating = createVault({
      db: database.pool,
      masterKeys: { keys: { ...oldKeys.keys, new: randomBytes(32) }, currentKeyId: 'new' },
    });
    const outcome = await rotating.rotate();
    expect(outcome.rotated).toBe(1);
    expect(outcome.failed).toEqual([
      { connectorId: 'crm', field: 'broken', reason: expect.stringContaining('failed authentication') },
    ]);
  });

  it('validates master keys and reports credential status', async () => {
    expect(() =>
      createVault({ db: database.pool, masterKeys: { keys: { a: randomBytes(16) }, currentKeyId: 'a' } }),
    ).toThrow(/32 bytes/);
    expect(() =>
      createVault({ db: database.pool, masterKeys: { keys: { a: randomBytes(32) }, currentKeyId: 'b' } }),
    ).toThrow(/"b"/);
    const vault = createVault({ db: database.pool, masterKeys: oldKeys });
    const now = new Date('2026-11-20T09:00:00Z');
    expect(await vault.status('cal', ['token'], now)).toEqual({ state: 'missing', detail: 'missing: token' });
    await vault.put('cal', 'token', 't', { expiresAt: new Date('2026-11-20T10:00:00Z') });
    expect(await vault.status('cal', ['token'], now)).toEqual({ state: 'expiring' });
    expect(await vault.status('cal', ['token'], new Date('2026-11-21T00:00:00Z'))).toEqual({
      state: 'expired',
    });
    await vault.put('cal', 'token', 't', { expiresAt: new Date('2027-01-01T00:00:00Z') });
    expect(await vault.status('cal', ['token'], now)).toEqual({ state: 'ok' });
  });
});

describe(`OAuth token manager (${testDatabaseKind()})`, () => {
  const setup = (options: { expiresInMs?: number; refreshDelayMs?: number; fail?: boolean } = {}) => {
    let now = new Date('2026-11-20T09:00:00Z');
    const vault = createVault({ db: database.pool, masterKeys: oldKeys });
    const refreshed: string[] = [];
    const manager = createOAuthTokenManager({
      vault,
      connectorId: 'calendar',
      clock: () => now,
      skewSeconds: 60,
      async refresh(refreshToken) {
        refreshed.push(refreshToken);
        await new Promise((resolve) => setTimeout(resolve, options.refreshDelayMs ?? 20));
        if (options.fail) throw new Error(`invalid_grant for refresh_token=${refreshToken}`);
        return {
          accessToken: `access-${refreshed.length}`,
          expiresAt: new Date(now.getTime() + (options.expiresInMs ?? 3_600_000)),
          refreshToken: `refresh-${refreshed.length}`,
        };
      },
    });
    return {
      vault,
      manager,
      refreshed,
      advance(ms: number) {
        now = new Date(now.getTime() + ms);
      },
    };
  };

  it('refreshes once for 10 concurrent callers (single flight)', async () => {
    const { manager, vault, refreshed } = setup({ refreshDelayMs: 50 });
    await vault.put('calendar', oauthFields.refreshToken, 'refresh-0');
    const tokens = await Promise.all(Array.from({ length: 10 }, () => manager.get()));
    expect(new Set(tokens)).toEqual(new Set(['access-1']));
    expect(refreshed).toEqual(['refresh-0']);
    expect(await vault.get('calendar', oauthFields.refreshToken)).toBe('refresh-1');
    expect(await manager.get()).toBe('access-1');
    expect(refreshed).toHaveLength(1);
  });

  it('refreshes shortly before expiry (skew) and not before', async () => {
    const { manager, vault, refreshed, advance } = setup({ expiresInMs: 10 * 60_000 });
    await manager.store({
      accessToken: 'initial',
      refreshToken: 'refresh-0',
      expiresAt: new Date('2026-11-20T09:10:00Z'),
    });
    expect(await manager.get()).toBe('initial');
    advance(8 * 60_000);
    expect(await manager.get()).toBe('initial');
    advance(61_000);
    expect(await manager.get()).toBe('access-1');
    expect(refreshed).toEqual(['refresh-0']);
    expect(await vault.getWithExpiry('calendar', oauthFields.accessToken)).toMatchObject({
      value: 'access-1',
    });
  });

  it('refreshes on the next get after invalidate (a 401)', async () => {
    const { manager, refreshed } = setup();
    await manager.store({
      accessToken: 'revoked',
      refreshToken: 'refresh-0',
      expiresAt: new Date('2026-11-21T00:00:00Z'),
    });
    expect(await manager.get()).toBe('revoked');
    manager.invalidate();
    const tokens = await Promise.all([manager.get(), manager.get()]);
    expect(tokens).toEqual(['access-1', 'access-1']);
    expect(refreshed).toHaveLength(1);
  });

  it('fails with auth_expired without leaking tokens, and reports missing credentials', async () => {
    const { manager, vault } = setup({ fail: true });
    expect(await manager.status()).toMatchObject({ state: 'missing' });
    await expect(manager.get()).rejects.toMatchObject({
      kind: 'auth_expired',
      message: expect.stringContaining('reconnect'),
    });
    await vault.put('calendar', oauthFields.refreshToken, 'refresh-secret-xyz');
    const error = (await manager.get().catch((caught: unknown) => caught)) as ConnectorError;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({
      kind: 'auth_expired',
      message: 'OAuth refresh for calendar failed',
      retryable: false,
    });
    expect(JSON.stringify({ message: error.message, cause: String(error.cause) })).not.toContain(
      'refresh-secret-xyz',
    );
    expect(await manager.status()).toEqual({ state: 'ok' });
  });
});
