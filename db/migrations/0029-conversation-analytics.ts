import { type Kysely, sql } from 'kysely';

/**
 * What the analytics page (docs/analytics.md; issue #21) needs that was not stored or not indexed:
 * - `conversations.intent`: the first intent the agent classified in the conversation, written with
 *   the turn's outcome by the conversation's owner (conversations/store.ts `recordTurnEnd`) and never
 *   changed after — "volume by intent" counts what customers came for, not where a chat drifted.
 * - indexes for the period filters: conversations, escalations by when they started (the existing
 *   escalation index leads with status), and escalations per conversation (its first hand-over).
 * Conversations written before this migration have no intent; the page shows them as `unclassified`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE conversations ADD COLUMN intent text CHECK (char_length(intent) <= 200);
    CREATE INDEX conversations_created_idx ON conversations (created_at);
    CREATE INDEX escalations_created_idx ON escalations (created_at);
    CREATE INDEX escalations_conversation_idx ON escalations (conversation_id, created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS escalations_conversation_idx;
    DROP INDEX IF EXISTS escalations_created_idx;
    DROP INDEX IF EXISTS conversations_created_idx;
    ALTER TABLE conversations DROP COLUMN IF EXISTS intent;
  `.execute(db);
}
