import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/database.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export { connectorParamsSchema as connectorParams } from '../contract/admin.ts';

/** Route options every admin route shares: the OpenAPI tag and the console-session security scheme. */
export const adminSchema = { tags: ['admin'], security: [{ consoleSession: [] }] } as const;

/** The connector as the gateway describes it, or 404 `not_found`. */
export function knownConnector(context: ApiContext, id: string) {
  const connector = context.switchboard.gateway.describe().find((candidate) => candidate.id === id);
  if (!connector) throw new ApiError('not_found', `No connector "${id}"`);
  return connector;
}

/** Who did it, for audit rows and log lines (never what they typed). */
export interface AdminActor {
  id: string;
  email: string;
}

/**
 * Records an admin's change to a connector in `audit_log` (outcome `changed`), so the audit page shows
 * who changed credentials or policy and when. `detail` must never hold a secret.
 */
export async function auditAdminChange(
  db: Queryable,
  actor: AdminActor,
  connectorId: string,
  operation: string,
  detail: Record<string, unknown>,
): Promise<void> {
  const argsHash = createHash('sha256').update(JSON.stringify(detail)).digest('hex');
  await db.query(
    `INSERT INTO audit_log (actor, connector_id, operation, effect, args_hash, outcome, latency_ms, detail)
     VALUES ('human', $1, $2, 'write', $3, 'changed', 0, $4)`,
    [
      connectorId,
      operation,
      argsHash,
      JSON.stringify({ actor_id: actor.id, actor_email: actor.email, ...detail }),
    ],
  );
}

/** ISO text of a database timestamp (or null). */
export const iso = (value: Date | string | null | undefined): string | null =>
  value == null ? null : new Date(value).toISOString();
