import { type Kysely, sql } from 'kysely';

/**
 * What the HTTP API and the job workers keep: the agent turn each stored message still owes (so a
 * crash is retried, never lost), the customer's access to their conversation, human agents' sessions,
 * and escalation SLA timers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A customer message (or a human's approval decision) the agent must still answer: 'pending' until a
    -- worker finishes its turn. Workers drain a conversation's pending rows in id order, one at a time.
    ALTER TABLE messages ADD COLUMN turn_status text CHECK (turn_status IN ('pending','running','done','failed'));
    ALTER TABLE messages ADD COLUMN turn_attempts integer NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN turn_finished_at timestamptz;
    CREATE INDEX messages_pending_turns_idx ON messages (conversation_id, id) WHERE turn_status IN ('pending','running');

    -- The customer who started a conversation holds its access token; only its SHA-256 is stored.
    ALTER TABLE conversations ADD COLUMN access_token_hash text;

    -- Human agents' console sessions: the cookie carries the token, the table its SHA-256.
    CREATE TABLE human_sessions (
      id text PRIMARY KEY,
      human_id text NOT NULL REFERENCES human_agents(id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX human_sessions_human_idx ON human_sessions (human_id);

    -- When an open escalation must have been claimed; the SLA job raises its priority once it is late.
    ALTER TABLE escalations ADD COLUMN sla_due_at timestamptz;
    ALTER TABLE escalations ADD COLUMN sla_breached_at timestamptz;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE escalations DROP COLUMN sla_breached_at;
    ALTER TABLE escalations DROP COLUMN sla_due_at;
    DROP TABLE human_sessions;
    ALTER TABLE conversations DROP COLUMN access_token_hash;
    DROP INDEX messages_pending_turns_idx;
    ALTER TABLE messages DROP COLUMN turn_finished_at;
    ALTER TABLE messages DROP COLUMN turn_attempts;
    ALTER TABLE messages DROP COLUMN turn_status;
  `.execute(db);
}
