import { type Kysely, sql } from 'kysely';

/**
 * One pending approval per action, whichever conversations asked for it (docs/product.md,
 * "Approvals"; issue #20 finding 8):
 * - `action_key`: what an approval-required escalation's pending action does — its connector,
 *   operation and the business key its idempotency key is derived from (e.g.
 *   `billing.refund_payment:refund:pay_2:49900`), without the conversation.
 * - `awaits_escalation_id`: set on the escalation of a conversation that asked for an action another
 *   conversation's approval already holds; that approval's decision is carried out in both.
 * The partial unique index lets only one live escalation hold an action key as its approval, so two
 * turns racing to ask for the same action open one approval and one link to it.
 *
 * Also: the idempotency ledger no longer keeps the built-in update-payment link's URL (its token is a
 * bearer secret; the operation signs it again on a replay: connectors/billing/operations/
 * send-payment-link.ts). Rows written before are stripped of it here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE escalations ADD COLUMN action_key text;
    ALTER TABLE escalations ADD COLUMN awaits_escalation_id text REFERENCES escalations(id) ON DELETE SET NULL;
    CREATE UNIQUE INDEX escalations_pending_action_key ON escalations (action_key)
      WHERE status IN ('open','claimed') AND action_key IS NOT NULL AND awaits_escalation_id IS NULL;
    CREATE INDEX escalations_awaits_idx ON escalations (awaits_escalation_id) WHERE awaits_escalation_id IS NOT NULL;
    UPDATE idempotency_keys SET result = result #- '{data,url}'
      WHERE connector_id = 'billing' AND operation = 'send_payment_link' AND result->'data'->>'link_id' LIKE 'pl\\_%';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS escalations_awaits_idx;
    DROP INDEX IF EXISTS escalations_pending_action_key;
    ALTER TABLE escalations DROP COLUMN IF EXISTS awaits_escalation_id;
    ALTER TABLE escalations DROP COLUMN IF EXISTS action_key;
  `.execute(db);
}
