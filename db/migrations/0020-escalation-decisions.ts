import { type Kysely, sql } from 'kysely';

/**
 * Approving a pending action and resolving the conversation are two steps (docs/product.md,
 * "Console"; issue #21):
 * - `decided_at`: when the escalation's pending action was carried out after a human's decision. The
 *   escalation stays open (claimed) for the human's own note to the customer until they resolve it;
 *   its action is no longer pending, so it is not decided again and no longer holds its action key
 *   (the partial unique index of migration 0019 now also requires `decided_at IS NULL`).
 * - `internal_note`: the team's note on the escalation (a decision's internal reason), shown to staff
 *   only and never sent to the customer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE escalations ADD COLUMN decided_at timestamptz;
    ALTER TABLE escalations ADD COLUMN internal_note text;
    DROP INDEX IF EXISTS escalations_pending_action_key;
    CREATE UNIQUE INDEX escalations_pending_action_key ON escalations (action_key)
      WHERE status IN ('open','claimed') AND action_key IS NOT NULL AND awaits_escalation_id IS NULL
        AND decided_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS escalations_pending_action_key;
    CREATE UNIQUE INDEX escalations_pending_action_key ON escalations (action_key)
      WHERE status IN ('open','claimed') AND action_key IS NOT NULL AND awaits_escalation_id IS NULL;
    ALTER TABLE escalations DROP COLUMN IF EXISTS internal_note;
    ALTER TABLE escalations DROP COLUMN IF EXISTS decided_at;
  `.execute(db);
}
