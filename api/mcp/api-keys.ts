import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CallerSession } from '../../connectors/core/definition.ts';
import type { Queryable } from '../../db/database.ts';

/** The visible start of every key: `sbk_` then 43 base64url characters (256 random bits). */
export const apiKeyPrefix = 'sbk_';

/** Whom a valid key acts for, read from the database at each use (revocation applies at once). */
export type ApiKeyPrincipal =
  | {
      keyId: string;
      kind: 'customer';
      contactId: string;
      accountId: string;
      tier: string;
    }
  | { keyId: string; kind: 'staff'; humanId: string; role: 'agent' | 'admin' };

/** One key as an admin sees it: never the key itself, nor its hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  keyPrefix: string;
  kind: 'customer' | 'staff';
  contactId: string | null;
  humanId: string | null;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What the key is bound to; the store resolves the account of a contact from our directory. */
export type ApiKeySubject = { kind: 'customer'; contactId: string } | { kind: 'staff'; humanId: string };

export class ApiKeySubjectError extends Error {
  override name = 'ApiKeySubjectError';
}

/** A key's row joined with its contact's account or its staff member (checked: it decides who acts). */
const principalRowSchema = z.object({
  id: z.string(),
  kind: z.enum(['customer', 'staff']),
  contact_id: z.string().nullable(),
  account_id: z.string().nullable(),
  tier: z.string().nullable(),
  human_id: z.string().nullable(),
  role: z.enum(['agent', 'admin']).nullable(),
  last_used_at: z.union([z.date(), z.string()]).nullable(),
});

const hashOf = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Creates a key; the returned `key` is the only time it exists in clear. */
export async function createApiKey(
  db: Queryable,
  options: { name: string; subject: ApiKeySubject; createdBy: string | null },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const { subject } = options;
  if (subject.kind === 'customer') {
    const { rows } = await db.query('SELECT 1 FROM contacts WHERE id = $1', [subject.contactId]);
    if (rows.length === 0) throw new ApiKeySubjectError(`No contact "${subject.contactId}" in the directory`);
  } else {
    const { rows } = await db.query('SELECT 1 FROM human_agents WHERE id = $1', [subject.humanId]);
    if (rows.length === 0) throw new ApiKeySubjectError(`No staff member "${subject.humanId}"`);
  }
  const key = `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
  const id = `key_${randomBytes(8).toString('hex')}`;
  const { rows } = await db.query(
    `INSERT INTO api_keys (id, name, key_hash, key_prefix, kind, contact_id, human_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      id,
      options.name,
      hashOf(key),
      key.slice(0, apiKeyPrefix.length + 6),
      subject.kind,
      subject.kind === 'customer' ? subject.contactId : null,
      subject.kind === 'staff' ? subject.humanId : null,
      options.createdBy,
    ],
  );
  return { key, record: recordOf(rows[0]) };
}

/** Every key, newest first. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query('SELECT * FROM api_keys ORDER BY created_at DESC, id');
  return rows.map(recordOf);
}

/** Revokes a key (it is refused from the next request on); null when there is no such key. */
export async function revokeApiKey(db: Queryable, id: string): Promise<ApiKeyRecord | null> {
  const { rows } = await db.query(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`,
    [id],
  );
  return rows[0] ? recordOf(rows[0]) : null;
}

/**
 * The principal of a presented key, or null for an unknown, malformed or revoked key (or one whose
 * contact or staff member no longer exists). The customer's account and tier come from our directory
 * now, never from the caller.
 */
export async function authenticateApiKey(db: Queryable, presented: string): Promise<ApiKeyPrincipal | null> {
  if (!presented.startsWith(apiKeyPrefix) || presented.length > 256) return null;
  const { rows } = await db.query(
    `SELECT k.id, k.kind, k.last_used_at, c.id AS contact_id, c.account_id, a.tier, h.id AS human_id, h.role
       FROM api_keys k
       LEFT JOIN contacts c ON c.id = k.contact_id
       LEFT JOIN accounts a ON a.id = c.account_id
       LEFT JOIN human_agents h ON h.id = k.human_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [hashOf(presented)],
  );
  const row = rows[0] === undefined ? undefined : principalRowSchema.parse(rows[0]);
  if (!row) return null;
  // Shown to admins to spot unused keys: kept to the minute, so a busy key does not write at every call.
  if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000)
    await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [row.id]);
  if (row.kind === 'customer') {
    if (!row.contact_id || !row.account_id) return null;
    return {
      keyId: row.id,
      kind: 'customer',
      contactId: row.contact_id,
      accountId: row.account_id,
      tier: row.tier ?? 'free',
    };
  }
  if (!row.human_id || !row.role) return null;
  return { keyId: row.id, kind: 'staff', humanId: row.human_id, role: row.role };
}

/**
 * The pipeline session of a key, built only from the key's row (docs/mcp.md, "Identity"): a customer
 * key is that verified customer, as a verified chat is; a staff key is a human with no customer.
 * `actorId` names the key, so every audit row says which key acted.
 */
export function sessionOf(principal: ApiKeyPrincipal): CallerSession {
  const actorId = `api_key:${principal.keyId}`;
  if (principal.kind === 'customer') {
    return {
      conversationId: null,
      actor: 'agent',
      actorId,
      customer: {
        contactId: principal.contactId,
        accountId: principal.accountId,
        verified: true,
        tier: principal.tier,
      },
    };
  }
  return { conversationId: null, actor: 'human', actorId, customer: null };
}

function recordOf(row: Record<string, unknown>): ApiKeyRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    keyPrefix: row.key_prefix as string,
    kind: row.kind as 'customer' | 'staff',
    contactId: (row.contact_id as string | null) ?? null,
    humanId: (row.human_id as string | null) ?? null,
    createdBy: (row.created_by as string | null) ?? null,
    createdAt: new Date(row.created_at as string),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at as string) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at as string) : null,
  };
}
