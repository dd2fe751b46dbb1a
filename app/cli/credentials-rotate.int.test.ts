import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMasterKey } from '../../connectors/core/master-key.ts';
import { createVault } from '../../connectors/core/vault.ts';
import { openConfiguredDatabase } from '../database-from-config.ts';
import { main } from './credentials-rotate.ts';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sb-rotate-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function withVault<T>(
  keys: Awaited<ReturnType<typeof loadOrCreateMasterKey>>,
  work: (vault: ReturnType<typeof createVault>) => Promise<T>,
) {
  const database = await openConfiguredDatabase({ DATA_DIR: dataDir });
  try {
    return await work(createVault({ db: database.pool, masterKeys: keys }));
  } finally {
    await database.close();
  }
}

describe('credentials-rotate main', () => {
  it('moves every credential to a new embedded key, then to an operator-given key', async () => {
    const original = await loadOrCreateMasterKey(dataDir);
    await withVault(original, async (vault) => {
      await vault.put('crm', 'api_key', 'sk_one');
      await vault.put('calendar', 'oauth_refresh_token', 'rt_two');
    });

    const lines: string[] = [];
    expect(await main({ DATA_DIR: dataDir }, (line) => lines.push(line))).toBe(0);
    const rotated = await loadOrCreateMasterKey(dataDir);
    expect(rotated.currentKeyId).not.toBe(original.currentKeyId);
    expect(Object.keys(rotated.keys)).toEqual([rotated.currentKeyId]);
    expect(lines[0]).toBe(`Re-encrypted 2 credential(s) with master key ${rotated.currentKeyId}.`);
    expect(lines.join('\n')).not.toMatch(/sk_one|rt_two/);
    await withVault(rotated, async (vault) => {
      expect(await vault.get('crm', 'api_key')).toBe('sk_one');
      expect(new Set((await vault.list()).map((info) => info.keyId))).toEqual(
        new Set([rotated.currentKeyId]),
      );
    });

    const operatorKey = randomBytes(32);
    const current = rotated.keys[rotated.currentKeyId]!.toString('base64');
    const setting = `ops-2026:${operatorKey.toString('base64')},${rotated.currentKeyId}:${current}`;
    expect(await main({ DATA_DIR: dataDir, MASTER_KEY: setting }, (line) => lines.push(line))).toBe(0);
    await withVault({ keys: { 'ops-2026': operatorKey }, currentKeyId: 'ops-2026' }, async (vault) => {
      expect(await vault.get('calendar', 'oauth_refresh_token')).toBe('rt_two');
    });
    // Four embedded databases are opened and migrated in turn: slow on a loaded 2-core machine.
  }, 180_000);
});
