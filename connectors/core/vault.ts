import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CredentialStatus } from './health.ts';
import type { MasterKeys } from './master-key.ts';
import type { Queryable } from './queryable.ts';

/** A credential could not be stored or opened. Messages name the connector/field, never the secret. */
export class VaultError extends Error {
  override name = 'VaultError';
}

/** What is known about a stored credential without opening it. */
export interface CredentialInfo {
  connectorId: string;
  field: string;
  keyId: string;
  expiresAt: Date | null;
  updatedAt: Date;
}

/** Encrypted connector credentials (table `connector_credentials`), AES-256-GCM bound to connector+field. */
export interface CredentialVault {
  put(
    connectorId: string,
    field: string,
    secret: string,
    options?: { expiresAt?: Date | null },
  ): Promise<void>;
  get(connectorId: string, field: string): Promise<string | null>;
  getWithExpiry(
    connectorId: string,
    field: string,
  ): Promise<{ value: string; expiresAt: Date | null } | null>;
  /** Metadata only: no secret ever leaves through here. */
  list(connectorId?: string): Promise<CredentialInfo[]>;
  delete(connectorId: string, field?: string): Promise<void>;
  /** Re-encrypts every credential not under the current key; failures are listed, not thrown. */
  rotate(): Promise<{
    rotated: number;
    failed: Array<{ connectorId: string; field: string; reason: string }>;
  }>;
  /** Health view helper: whether `fields` are all stored and unexpired (`expiring` within `warnSeconds`). */
  status(connectorId: string, fields: string[], now?: Date, warnSeconds?: number): Promise<CredentialStatus>;
}

interface CredentialRow {
  connector_id: string;
  field: string;
  key_id: string;
  iv: Buffer;
  ciphertext: Buffer;
  auth_tag: Buffer;
  expires_at: Date | null;
  updated_at: Date;
}

const additionalData = (connectorId: string, field: string) => Buffer.from(`${connectorId}:${field}`, 'utf8');

/** Creates the vault over `db` with the given master keys (validated here: 32 bytes each). */
export function createVault(options: { db: Queryable; masterKeys: MasterKeys }): CredentialVault {
  const { db, masterKeys } = options;
  for (const [keyId, key] of Object.entries(masterKeys.keys)) {
    if (key.length !== 32) throw new VaultError(`master key "${keyId}" must be 32 bytes for AES-256-GCM`);
  }
  if (!masterKeys.keys[masterKeys.currentKeyId]) {
    throw new VaultError(`current master key id "${masterKeys.currentKeyId}" is not among the given keys`);
  }

  const encrypt = (connectorId: string, field: string, secret: string) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', masterKeys.keys[masterKeys.currentKeyId]!, iv);
    cipher.setAAD(additionalData(connectorId, field));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return { keyId: masterKeys.currentKeyId, iv, ciphertext, authTag: cipher.getAuthTag() };
  };

  const decrypt = (row: CredentialRow): string => {
    const key = masterKeys.keys[row.key_id];
    if (!key) {
      throw new VaultError(
        `credential ${row.connector_id}/${row.field} is encrypted with master key "${row.key_id}", which is not configured`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, row.iv);
      decipher.setAAD(additionalData(row.connector_id, row.field));
      decipher.setAuthTag(row.auth_tag);
      return Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError(
        `credential ${row.connector_id}/${row.field} failed authentication: the ciphertext was tampered with, ` +
          'moved from another connector/field, or the master key is wrong',
      );
    }
  };

  const select = async (connectorId: string, field: string): Promise<CredentialRow | undefined> => {
    const { rows } = await db.query<CredentialRow>(
      'SELECT * FROM connector_credentials WHERE connector_id = $1 AND field = $2',
      [connectorId, field],
    );
    return rows[0];
  };

  const list = async (connectorId?: string): Promise<CredentialInfo[]> => {
    const { rows } = await db.query<CredentialRow>(
      `SELECT connector_id, field, key_id, expires_at, updated_at FROM connector_credentials
       WHERE $1::text IS NULL OR connector_id = $1 ORDER BY connector_id, field`,
      [connectorId ?? null],
    );
    return rows.map((row) => ({
      connectorId: row.connector_id,
      field: row.field,
      keyId: row.key_id,
      expiresAt: row.expires_at,
      updatedAt: row.updated_at,
    }));
  };

  return {
    async put(connectorId, field, secret, putOptions = {}) {
      const sealed = encrypt(connectorId, field, secret);
      await db.query(
        `INSERT INTO connector_credentials (connector_id, field, key_id, iv, ciphertext, auth_tag, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (connector_id, field) DO UPDATE SET key_id = EXCLUDED.key_id, iv = EXCLUDED.iv,
           ciphertext = EXCLUDED.ciphertext, auth_tag = EXCLUDED.auth_tag, expires_at = EXCLUDED.expires_at, updated_at = now()`,
        [
          connectorId,
          field,
          sealed.keyId,
          sealed.iv,
          sealed.ciphertext,
          sealed.authTag,
          putOptions.expiresAt ?? null,
        ],
      );
    },
    async get(connectorId, field) {
      const row = await select(connectorId, field);
      return row ? decrypt(row) : null;
    },
    async getWithExpiry(connectorId, field) {
      const row = await select(connectorId, field);
      return row ? { value: decrypt(row), expiresAt: row.expires_at } : null;
    },
    list,
    async delete(connectorId, field) {
      await db.query(
        'DELETE FROM connector_credentials WHERE connector_id = $1 AND ($2::text IS NULL OR field = $2)',
        [connectorId, field ?? null],
      );
    },
    async rotate() {
      const { rows } = await db.query<CredentialRow>(
        'SELECT * FROM connector_credentials WHERE key_id <> $1',
        [masterKeys.currentKeyId],
      );
      let rotated = 0;
      const failed: Array<{ connectorId: string; field: string; reason: string }> = [];
      for (const row of rows) {
        try {
          const sealed = encrypt(row.connector_id, row.field, decrypt(row));
          // Only if nobody rewrote the credential meanwhile (its key id would have changed).
          const { rowCount } = await db.query(
            `UPDATE connector_credentials SET key_id = $3, iv = $4, ciphertext = $5, auth_tag = $6, updated_at = now()
             WHERE connector_id = $1 AND field = $2 AND key_id = $7 AND iv = $8`,
            [
              row.connector_id,
              row.field,
              sealed.keyId,
              sealed.iv,
              sealed.ciphertext,
              sealed.authTag,
              row.key_id,
              row.iv,
            ],
          );
          rotated += rowCount ?? 0;
        } catch (error) {
          failed.push({ connectorId: row.connector_id, field: row.field, reason: (error as Error).message });
        }
      }
      return { rotated, failed };
    },
    async status(connectorId, fields, now = new Date(), warnSeconds = 86_400) {
      const stored = new Map((await list(connectorId)).map((info) => [info.field, info]));
      const missing = fields.filter((field) => !stored.has(field));
      if (missing.length > 0) return { state: 'missing', detail: `missing: ${missing.join(', ')}` };
      const expiries = fields
        .map((field) => stored.get(field)!.expiresAt)
        .filter((at): at is Date => at !== null);
      if (expiries.some((at) => at.getTime() <= now.getTime())) return { state: 'expired' };
      if (expiries.some((at) => at.getTime() - now.getTime() < warnSeconds * 1000))
        return { state: 'expiring' };
      return { state: 'ok' };
    },
  };
}
