import { type Kysely, sql } from 'kysely';

/** Conversations with customers, their messages, escalations to humans, and the humans. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE conversations (
      id text PRIMARY KEY,
      channel text NOT NULL CHECK (channel IN ('chat','email')),
      contact_id text REFERENCES contacts(id) ON DELETE SET NULL,
      account_id text REFERENCES accounts(id) ON DELETE SET NULL,
      verified boolean NOT NULL DEFAULT false,
      verified_by text CHECK (verified_by IN ('token','email_code')),
      status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open','waiting_customer','waiting_approval','escalated','claimed','resolved','closed')),
      outcome text CHECK (outcome IN ('resolved','answered','escalated')),
      subject text,
      email_thread_key text UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX conversations_contact_idx ON conversations (contact_id, created_at DESC);

    CREATE TABLE messages (
      id bigserial PRIMARY KEY,
      conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('customer','agent','human','system')),
      body text NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      -- The sender's id for the message: a retried submit is accepted once.
      client_message_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (conversation_id, client_message_id)
    );
    CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);

    CREATE TABLE human_agents (
      id text PRIMARY KEY,
      email text NOT NULL UNIQUE,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('agent','admin')),
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE escalations (
      id text PRIMARY KEY,
      conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      reason text NOT NULL CHECK (reason IN ('connector_failure','low_confidence','policy_requires_human',
        'approval_required','customer_requested','security_sensitive','negative_sentiment','loop_detected',
        'injection_suspected')),
      priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','claimed','resolved','handed_back')),
      packet jsonb NOT NULL,
      claimed_by text REFERENCES human_agents(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      claimed_at timestamptz,
      resolved_at timestamptz
    );
    CREATE INDEX escalations_queue_idx ON escalations (status, created_at);
    -- At most one live escalation per conversation: handing over never loops.
    CREATE UNIQUE INDEX escalations_live_key ON escalations (conversation_id) WHERE status IN ('open','claimed');

    -- One-time email verification codes (only a hash is stored).
    CREATE TABLE verification_codes (
      id text PRIMARY KEY,
      conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      expires_at timestamptz NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      consumed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE eval_runs (
      id text PRIMARY KEY,
      suite text NOT NULL,
      options jsonb NOT NULL DEFAULT '{}',
      summary jsonb,
      results jsonb,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS eval_runs, verification_codes, escalations, human_agents, messages, conversations CASCADE;`.execute(
    db,
  );
}
