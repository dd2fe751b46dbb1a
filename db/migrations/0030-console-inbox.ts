import { type Kysely, sql } from 'kysely';

/**
 * The console inbox (docs/product.md, "Console inbox"):
 *
 * - `teams` and `team_members`: groups of staff a conversation can be assigned to.
 * - `conversations.assignee_id` / `assigned_team_id`: who owns a conversation in the inbox. A live
 *   escalation's claim stays the lock on working it (conversations/escalations.ts); assigning moves
 *   that claim along (conversations/inbox.ts) so the two never disagree.
 * - `conversation_notes`: internal notes with the staff they @mention. A table of their own — never a
 *   row of `messages` — so no transcript, customer API, live channel or mail ever reads one.
 * - `inbox_reads`: per staff member and conversation, the last message and note they have seen
 *   (unread counts; a note mentioning someone is unread for them until they open the conversation).
 * - `canned_replies`: the team's macros, with `{{variables}}` filled in server-side.
 * - `staff_presence`: one row per open console event stream, refreshed while it is open: who is
 *   online, across API servers, without trusting a counter a crashed process would leave behind.
 * - A full-text index over message text, `to_tsvector('english', body)`: the inbox search's
 *   expression, so PostgreSQL and PGlite both use it (no generated column to keep in step).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE teams (
      id text PRIMARY KEY,
      name text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 80),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE team_members (
      team_id text NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
      human_id text NOT NULL REFERENCES human_agents(id) ON DELETE CASCADE,
      PRIMARY KEY (team_id, human_id)
    );

    ALTER TABLE conversations
      ADD COLUMN assignee_id text REFERENCES human_agents(id) ON DELETE SET NULL,
      ADD COLUMN assigned_team_id text REFERENCES teams(id) ON DELETE SET NULL,
      ADD COLUMN assigned_at timestamptz;
    CREATE INDEX conversations_assignee_idx ON conversations (assignee_id) WHERE assignee_id IS NOT NULL;
    CREATE INDEX conversations_team_idx ON conversations (assigned_team_id) WHERE assigned_team_id IS NOT NULL;
    CREATE INDEX conversations_inbox_created_idx ON conversations (created_at DESC, id DESC);

    CREATE TABLE conversation_notes (
      id bigserial PRIMARY KEY,
      conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      author_id text REFERENCES human_agents(id) ON DELETE SET NULL,
      body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
      mentions text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX conversation_notes_conversation_idx ON conversation_notes (conversation_id, id);
    CREATE INDEX conversation_notes_mentions_idx ON conversation_notes USING gin (mentions);

    CREATE TABLE inbox_reads (
      human_id text NOT NULL REFERENCES human_agents(id) ON DELETE CASCADE,
      conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      last_message_id bigint NOT NULL DEFAULT 0,
      last_note_id bigint NOT NULL DEFAULT 0,
      read_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (human_id, conversation_id)
    );

    CREATE TABLE canned_replies (
      id text PRIMARY KEY,
      title text NOT NULL UNIQUE CHECK (char_length(title) BETWEEN 1 AND 120),
      body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
      created_by text REFERENCES human_agents(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE staff_presence (
      connection_id text PRIMARY KEY,
      human_id text NOT NULL REFERENCES human_agents(id) ON DELETE CASCADE,
      connected_at timestamptz NOT NULL DEFAULT now(),
      seen_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX staff_presence_human_idx ON staff_presence (human_id, seen_at);

    CREATE INDEX messages_body_search_idx ON messages USING gin (to_tsvector('english', body));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS messages_body_search_idx;
    DROP INDEX IF EXISTS conversations_inbox_created_idx;
    DROP TABLE IF EXISTS staff_presence, canned_replies, inbox_reads, conversation_notes;
    ALTER TABLE conversations DROP COLUMN IF EXISTS assignee_id, DROP COLUMN IF EXISTS assigned_team_id,
      DROP COLUMN IF EXISTS assigned_at;
    DROP TABLE IF EXISTS team_members, teams;
  `.execute(db);
}
