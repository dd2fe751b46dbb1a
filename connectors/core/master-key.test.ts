import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMasterKey,
  fingerprintKeyId,
  loadOrCreateMasterKey,
  masterKeyPath,
  parseMasterKeys,
  pruneMasterKeys,
} from './master-key.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sb-master-key-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseMasterKeys', () => {
  it('reads one bare base64 key with a fingerprint id', () => {
    const key = randomBytes(32);
    const parsed = parseMasterKeys(key.toString('base64'));
    expect(parsed.currentKeyId).toBe(fingerprintKeyId(key));
    expect(parsed.keys[parsed.currentKeyId]!.equals(key)).toBe(true);
  });

  it('reads several `id:base64` keys, the first being current', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const parsed = parseMasterKeys(`new:${a.toString('base64')}, old:${b.toString('base64')}`);
    expect(parsed.currentKeyId).toBe('new');
    expect(Object.keys(parsed.keys)).toEqual(['new', 'old']);
  });

  it('rejects wrong lengths and non-base64 without echoing the value', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseMasterKeys(short, 'MASTER_KEY')).toThrow(
      /MASTER_KEY: key #1 decodes to 16 bytes, AES-256 needs 32/,
    );
    try {
      parseMasterKeys(short, 'MASTER_KEY');
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => parseMasterKeys('not base64!!')).toThrow(/not base64/);
    expect(() => parseMasterKeys('')).toThrow(/empty/);
  });
});

describe('loadOrCreateMasterKey', () => {
  it('creates the key file once with mode 0600 and reuses it', async () => {
    const first = await loadOrCreateMasterKey(dir);
    const info = await stat(masterKeyPath(dir));
    expect(info.mode & 0o777).toBe(0o600);
    const second = await loadOrCreateMasterKey(dir);
    expect(second.currentKeyId).toBe(first.currentKeyId);
    expect(second.keys[second.currentKeyId]!.equals(first.keys[first.currentKeyId]!)).toBe(true);
  });

  it('gives concurrent first starts the same key', async () => {
    const fresh = path.join(dir, 'concurrent');
    const results = await Promise.all([loadOrCreateMasterKey(fresh), loadOrCreateMasterKey(fresh)]);
    expect(results[0].currentKeyId).toBe(results[1].currentKeyId);
  });

  it('refuses a key file other users can read', async () => {
    const loose = path.join(dir, 'loose');
    await loadOrCreateMasterKey(loose);
    await chmod(masterKeyPath(loose), 0o644);
    await expect(loadOrCreateMasterKey(loose)).rejects.toThrow(/readable by other users .*chmod 600/);
  });

  it('adds a new current key in front and prunes the old ones', async () => {
    const rotating = path.join(dir, 'rotating');
    const original = await loadOrCreateMasterKey(rotating);
    const added = await addMasterKey(rotating);
    expect(added.currentKeyId).not.toBe(original.currentKeyId);
    expect(Object.keys(added.keys)).toHaveLength(2);
    expect((await loadOrCreateMasterKey(rotating)).currentKeyId).toBe(added.currentKeyId);
    const pruned = await pruneMasterKeys(rotating);
    expect(Object.keys(pruned.keys)).toEqual([added.currentKeyId]);
    expect((await readFile(masterKeyPath(rotating), 'utf8')).trim().split('\n')).toHaveLength(1);
    expect((await stat(masterKeyPath(rotating))).mode & 0o777).toBe(0o600);
  });
});
