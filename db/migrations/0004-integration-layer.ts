import { type Kysely, sql } from 'kysely';

/** What the connector pipeline keeps: credentials, policies, idempotency, audit, email outbox, read cache. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- AES-256-GCM ciphertexts; the additional data binds each to (connector_id, field).
    CREATE TABLE connector_credentials (
      connector_id text NOT NULL,
      field text NOT NULL,
      key_id text NOT NULL,
      iv bytea NOT NULL,
      ciphertext bytea NOT NULL,
      auth_tag bytea NOT NULL,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (connector_id, field)
    );

    CREATE TABLE connector_policies (
      connector_id text PRIMARY KEY,
      policy jsonb NOT NULL,
      updated_by text,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE idempotency_keys (
      key text PRIMARY KEY,
      connector_id text NOT NULL,
      operation text NOT NULL,
      args_hash text NOT NULL,
      status text NOT NULL CHECK (status IN ('in_progress','completed','failed')),
      result jsonb,
      error jsonb,
      locked_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    );

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      conversation_id text,
      actor text NOT NULL,
      account_id text,
      connector_id text NOT NULL,
      operation text NOT NULL,
      effect text NOT NULL CHECK (effect IN ('read','write')),
      args_hash text NOT NULL,
      idempotency_key text,
      outcome text NOT NULL,
      error_kind text,
      latency_ms double precision NOT NULL,
      stale boolean NOT NULL DEFAULT false,
      detail jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
    CREATE INDEX audit_log_conversation_idx ON audit_log (conversation_id, id);

    -- Last good result of each read, for stale fallback when a system is down.
    CREATE TABLE connector_cache (
      cache_key text PRIMARY KEY,
      connector_id text NOT NULL,
      operation text NOT NULL,
      value jsonb NOT NULL,
      stored_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE email_outbox (
      id text PRIMARY KEY,
      message_id text NOT NULL UNIQUE,
      idempotency_key text UNIQUE,
      conversation_id text,
      to_address text NOT NULL,
      from_address text NOT NULL,
      subject text NOT NULL,
      text_body text NOT NULL,
      html_body text,
      template text,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sending','sent','failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    );
    CREATE INDEX email_outbox_status_idx ON email_outbox (status, created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS email_outbox, connector_cache, audit_log, idempotency_keys, connector_policies, connector_credentials CASCADE;`.execute(
    db,
  );
}
