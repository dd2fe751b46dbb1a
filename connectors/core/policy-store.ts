import type { ConnectorPolicy, ConnectorPolicyInput } from './policy.ts';
import { parseConnectorPolicy } from './policy.ts';
import type { Queryable } from './queryable.ts';

/** A stored policy override and who set it. */
export interface StoredPolicy {
  policy: ConnectorPolicy;
  updatedBy: string | null;
  updatedAt: Date;
}

/** The stored override of a connector's policy (table `connector_policies`), or null when there is none. */
export async function getPolicy(db: Queryable, connectorId: string): Promise<StoredPolicy | null> {
  const { rows } = await db.query<{ policy: unknown; updated_by: string | null; updated_at: Date }>(
    'SELECT policy, updated_by, updated_at FROM connector_policies WHERE connector_id = $1',
    [connectorId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    policy: parseConnectorPolicy(connectorId, row.policy),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

/**
 * Validates and stores a connector's policy override; it replaces the configured default as a whole.
 * Returns the validated policy.
 */
export async function setPolicy(
  db: Queryable,
  connectorId: string,
  policy: ConnectorPolicyInput,
  updatedBy: string | null = null,
): Promise<ConnectorPolicy> {
  const parsed = parseConnectorPolicy(connectorId, policy);
  await db.query(
    `INSERT INTO connector_policies (connector_id, policy, updated_by, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (connector_id) DO UPDATE SET policy = EXCLUDED.policy, updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [connectorId, JSON.stringify(parsed), updatedBy],
  );
  return parsed;
}

/** Removes a connector's stored override, so the configured default applies again; false when there was none. */
export async function deletePolicy(db: Queryable, connectorId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM connector_policies WHERE connector_id = $1', [
    connectorId,
  ]);
  return (rowCount ?? 0) > 0;
}
