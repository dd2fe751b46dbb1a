import { type Kysely, sql } from 'kysely';

/**
 * The Gmail channel (connectors/google/gmail/): where the history sync of the support mailbox
 * stands, and a ledger of every Gmail message it has seen or sent.
 *
 * `gmail_messages` is keyed by Gmail's message id: a message seen twice (a Pub/Sub push and the
 * poll, a redelivered notification, a full resync after an expired history id) is handled once. An
 * inbound row is written in the transaction that stores the customer message it became, so the
 * message and the "seen" mark exist together or not at all. Outbound rows are our sends through
 * Gmail (the outbox's Message-ID → Gmail ids), which also lets a reply find its Gmail thread.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE gmail_mailbox (
      account text PRIMARY KEY,
      -- Gmail history ids are unsigned 64-bit numbers: kept as numeric, compared as numbers.
      history_id numeric(20, 0),
      watch_expires_at timestamptz,
      last_synced_at timestamptz,
      last_full_sync_at timestamptz
    );

    CREATE TABLE gmail_messages (
      gmail_message_id text PRIMARY KEY,
      account text NOT NULL,
      thread_id text NOT NULL,
      direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      rfc822_message_id text,
      subject text NOT NULL DEFAULT '',
      -- What became of it: stored (a customer message), duplicate (stored before by Message-ID),
      -- refused (can never be stored), skipped (not support mail: sent by a person, spam), sent (ours).
      outcome text NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'refused', 'skipped', 'sent')),
      conversation_id text REFERENCES conversations(id) ON DELETE CASCADE,
      message_row_id bigint REFERENCES messages(id) ON DELETE CASCADE,
      -- Attachments by reference only (Gmail ids, type, size): never downloaded for the agent.
      attachments jsonb NOT NULL DEFAULT '[]',
      labels_applied text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX gmail_messages_rfc822_idx ON gmail_messages (rfc822_message_id);
    CREATE INDEX gmail_messages_conversation_idx ON gmail_messages (conversation_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE gmail_messages;
    DROP TABLE gmail_mailbox;
  `.execute(db);
}
