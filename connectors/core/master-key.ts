import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** AES-256 master keys by key id; new ciphertexts use `currentKeyId`, old ones keep their key id. */
export interface MasterKeys {
  keys: Record<string, Buffer>;
  currentKeyId: string;
}

/** A master key could not be loaded or parsed. Messages never contain key material. */
export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

const keyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** A stable id for a key without an explicit one: a short fingerprint (not reversible). */
export const fingerprintKeyId = (key: Buffer): string =>
  `k-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

/**
 * Parses master keys from text (an env value or the key file): either one base64 key, or
 * comma/newline-separated `keyId:base64` entries whose FIRST entry is the current key.
 */
export function parseMasterKeys(value: string, source = 'the master key setting'): MasterKeys {
  const entries = value
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new MasterKeyError(`${source} is empty: expected a base64 32-byte key`);
  const keys: Record<string, Buffer> = {};
  let currentKeyId = '';
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const encoded = separator === -1 ? entry : entry.slice(separator + 1);
    const key = decodeKey(encoded, source, index);
    const keyId = separator === -1 ? fingerprintKeyId(key) : entry.slice(0, separator);
    if (!keyIdPattern.test(keyId)) {
      throw new MasterKeyError(
        `${source}: key #${index + 1} has an invalid key id (use letters, digits, _ . -)`,
      );
    }
    if (keys[keyId]) throw new MasterKeyError(`${source}: key id "${keyId}" appears twice`);
    keys[keyId] = key;
    if (index === 0) currentKeyId = keyId;
  }
  return { keys, currentKeyId };
}

function decodeKey(encoded: string, source: string, index: number): Buffer {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) {
    throw new MasterKeyError(
      `${source}: key #${index + 1} is not base64 (generate one with: openssl rand -base64 32)`,
    );
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) {
    throw new MasterKeyError(
      `${source}: key #${index + 1} decodes to ${key.length} bytes, AES-256 needs 32 (generate one with: openssl rand -base64 32)`,
    );
  }
  return key;
}

/** Serialises keys in the file format: `keyId:base64` per line, current key first. */
export function formatMasterKeys(masterKeys: MasterKeys): string {
  const ids = [
    masterKeys.currentKeyId,
    ...Object.keys(masterKeys.keys).filter((id) => id !== masterKeys.currentKeyId),
  ];
  return `${ids.map((id) => `${id}:${masterKeys.keys[id]!.toString('base64')}`).join('\n')}\n`;
}

/** Where the embedded master key lives. */
export const masterKeyPath = (dataDir: string): string => path.join(path.resolve(dataDir), 'master.key');

/**
 * Loads `<dataDir>/master.key`, creating it once (32 random bytes, mode 0600) when absent. Refuses a
 * file that group/others can read. Two processes starting at once end up with the same key.
 */
export async function loadOrCreateMasterKey(dataDir: string): Promise<MasterKeys> {
  const file = masterKeyPath(dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  const keyId = fingerprintKeyId(key);
  // Write a private temp file, then link it into place: link fails if the key exists, so a
  // concurrent start never sees a half-written file and never overwrites a key.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, formatMasterKeys({ keys: { [keyId]: key }, currentKeyId: keyId }), {
    mode: 0o600,
  });
  try {
    await chmod(temporary, 0o600);
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return readMasterKeyFile(file);
}

async function readMasterKeyFile(file: string): Promise<MasterKeys> {
  const info = await stat(file);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `${file} is readable by other users (mode ${(info.mode & 0o777).toString(8)}): run chmod 600 ${file}`,
    );
  }
  return parseMasterKeys(await readFile(file, 'utf8'), file);
}

/** Puts a new current key in front of the key file (old keys stay, so existing ciphertexts still open). */
export async function addMasterKey(dataDir: string): Promise<MasterKeys> {
  const current = await loadOrCreateMasterKey(dataDir);
  const key = randomBytes(32);
  const keyId = fingerprintKeyId(key);
  return writeMasterKeyFile(dataDir, { keys: { ...current.keys, [keyId]: key }, currentKeyId: keyId });
}

/** Drops every key but the current one from the key file (after all credentials were re-encrypted). */
export async function pruneMasterKeys(dataDir: string): Promise<MasterKeys> {
  const current = await loadOrCreateMasterKey(dataDir);
  return writeMasterKeyFile(dataDir, {
    keys: { [current.currentKeyId]: current.keys[current.currentKeyId]! },
    currentKeyId: current.currentKeyId,
  });
}

async function writeMasterKeyFile(dataDir: string, keys: MasterKeys): Promise<MasterKeys> {
  const file = masterKeyPath(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, formatMasterKeys(keys), { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return keys;
}

/**
 * Keys derived from the master keys for one use (HKDF-SHA256 with `info` naming that use): `current`
 * from the current master key signs, `all` (current first) verifies, so what was signed before a
 * master-key rotation still verifies while the old key is configured. A derived key never equals or
 * reveals the master key that encrypts the vault, nor a key derived for another use.
 */
export interface DerivedKeys {
  readonly current: Buffer;
  readonly all: readonly Buffer[];
}

export function deriveKeys(masterKeys: MasterKeys, info: string): DerivedKeys {
  const derive = (key: Buffer) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
  const current = derive(masterKeys.keys[masterKeys.currentKeyId]!);
  const others = Object.entries(masterKeys.keys)
    .filter(([keyId]) => keyId !== masterKeys.currentKeyId)
    .map(([, key]) => derive(key));
  return { current, all: [current, ...others] };
}
