import { Kysely, type Migration, type MigrationResultSet, Migrator, PostgresDialect } from 'kysely';
import type pg from 'pg';
import * as businessSystems from './migrations/0001-business-systems.ts';
import * as knowledge from './migrations/0002-knowledge.ts';
import * as conversations from './migrations/0003-conversations.ts';
import * as integrationLayer from './migrations/0004-integration-layer.ts';
import * as visitorTickets from './migrations/0005-visitor-tickets.ts';
import * as apiAndJobs from './migrations/0006-api-and-jobs.ts';
import * as knowledgeChunkFilters from './migrations/0007-knowledge-chunk-filters.ts';
import * as idempotencyLeaseHolder from './migrations/0009-idempotency-lease-holder.ts';
import * as verificationScope from './migrations/0011-verification-scope.ts';
import * as connectorBackends from './migrations/0012-connector-backends.ts';
import * as billingEvents from './migrations/0013-billing-events.ts';
import * as knowledgeSources from './migrations/0014-knowledge-sources.ts';
import * as oauthStates from './migrations/0015-oauth-states.ts';
import * as conversationTokenLifecycle from './migrations/0016-conversation-token-lifecycle.ts';
import * as directoryExternalRefs from './migrations/0017-directory-external-refs.ts';
import * as privacy from './migrations/0018-privacy.ts';
import * as pendingApprovalActionKey from './migrations/0019-pending-approval-action-key.ts';
import * as escalationDecisions from './migrations/0020-escalation-decisions.ts';
import * as outboundWebhooks from './migrations/0021-outbound-webhooks.ts';
import * as apiKeys from './migrations/0022-api-keys.ts';
import * as customConnectors from './migrations/0023-custom-connectors.ts';
import * as declarativeProcedures from './migrations/0024-declarative-procedures.ts';
import * as csat from './migrations/0025-csat.ts';
import * as gmailChannel from './migrations/0027-gmail-channel.ts';
import * as googleDriveSource from './migrations/0028-google-drive-source.ts';
import * as conversationAnalytics from './migrations/0029-conversation-analytics.ts';
import * as consoleInbox from './migrations/0030-console-inbox.ts';
import * as knowledgeAdmin from './migrations/0031-knowledge-admin.ts';
import * as capturedScenarios from './migrations/0032-captured-scenarios.ts';

/** Every migration, in order. Listed statically so bundling or a changed cwd cannot lose one. */
export const migrations: Record<string, Migration> = {
  '0001-business-systems': businessSystems,
  '0002-knowledge': knowledge,
  '0003-conversations': conversations,
  '0004-integration-layer': integrationLayer,
  '0005-visitor-tickets': visitorTickets,
  '0006-api-and-jobs': apiAndJobs,
  '0007-knowledge-chunk-filters': knowledgeChunkFilters,
  '0009-idempotency-lease-holder': idempotencyLeaseHolder,
  '0011-verification-scope': verificationScope,
  '0012-connector-backends': connectorBackends,
  '0013-billing-events': billingEvents,
  '0014-knowledge-sources': knowledgeSources,
  '0015-oauth-states': oauthStates,
  '0016-conversation-token-lifecycle': conversationTokenLifecycle,
  '0017-directory-external-refs': directoryExternalRefs,
  '0018-privacy': privacy,
  '0019-pending-approval-action-key': pendingApprovalActionKey,
  '0020-escalation-decisions': escalationDecisions,
  '0021-outbound-webhooks': outboundWebhooks,
  '0022-api-keys': apiKeys,
  '0023-custom-connectors': customConnectors,
  '0024-declarative-procedures': declarativeProcedures,
  '0025-csat': csat,
  '0027-gmail-channel': gmailChannel,
  '0028-google-drive-source': googleDriveSource,
  '0029-conversation-analytics': conversationAnalytics,
  '0030-console-inbox': consoleInbox,
  '0031-knowledge-admin': knowledgeAdmin,
  '0032-captured-scenarios': capturedScenarios,
};

function createMigrator(pool: pg.Pool): { migrator: Migrator; db: Kysely<unknown> } {
  // Kysely would end the pool on destroy(); this wrapper keeps the caller in charge of it.
  const borrowed = { connect: () => pool.connect(), end: async () => {} } as unknown as pg.Pool;
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: borrowed }) });
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // 0013 and 0014 were written side by side and landed in the other order; a database that ran
    // 0014 first still takes 0013 (they touch different tables).
    allowUnorderedMigrations: true,
  });
  return { migrator, db };
}

/**
 * Migrates up or down to `target` (a key of `migrations`), as an operator rolling back would; tests
 * use it to exercise a migration on data written before it.
 */
export async function migrateTo(pool: pg.Pool, target: string): Promise<void> {
  const { migrator, db } = createMigrator(pool);
  try {
    const outcome = await migrator.migrateTo(target);
    if (outcome.error) throw new Error(`Migrating to ${target} failed: ${(outcome.error as Error).message}`);
  } finally {
    await db.destroy();
  }
}

/** Applies pending migrations; throws with the failing migration's name and error. */
export async function migrateToLatest(pool: pg.Pool): Promise<string[]> {
  const { migrator, db } = createMigrator(pool);
  try {
    const outcome: MigrationResultSet = await migrator.migrateToLatest();
    if (outcome.error) {
      const failed = outcome.results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`Migration ${failed} failed: ${(outcome.error as Error).message}`);
    }
    return (outcome.results ?? []).map((result) => result.migrationName);
  } finally {
    await db.destroy();
  }
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsAreCurrent(pool: pg.Pool): Promise<boolean> {
  const { migrator, db } = createMigrator(pool);
  try {
    const list = await migrator.getMigrations();
    return list.every((migration) => migration.executedAt !== undefined);
  } finally {
    await db.destroy();
  }
}
