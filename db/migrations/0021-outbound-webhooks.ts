import { type Kysely, sql } from 'kysely';

/**
 * Signed outbound webhooks (docs/webhooks.md):
 * - `webhook_subscriptions`: an admin's endpoint and the event types it wants. Its signing secret is
 *   not here: it lives encrypted in `connector_credentials` (connector `webhooks`, field = the id).
 * - `webhook_events`: the outbox. One row per domain event that at least one enabled subscription
 *   wants, written by `webhook_emit()` in the transaction that stores the domain fact.
 * - `webhook_deliveries`: one event to one subscription, its state and retry schedule.
 * - `webhook_delivery_attempts`: the delivery log (response code, latency, error, next retry).
 *
 * The triggers below call `webhook_emit()` where the facts are stored — an escalation row, a
 * conversation resolved, a connector write audited — so no code path can store the fact and forget
 * the event, and a process that dies after the commit loses nothing (the sweep job enqueues what is due).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE webhook_subscriptions (
      id text PRIMARY KEY,
      url text NOT NULL,
      description text NOT NULL DEFAULT '',
      events text[] NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      consecutive_failures integer NOT NULL DEFAULT 0,
      failing_since timestamptz,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE webhook_events (
      id text PRIMARY KEY,
      type text NOT NULL,
      payload jsonb NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX webhook_events_occurred_idx ON webhook_events (occurred_at DESC);

    CREATE TABLE webhook_deliveries (
      id text PRIMARY KEY,
      event_id text NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
      subscription_id text NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending','sending','retrying','delivered','failed')),
      attempts integer NOT NULL DEFAULT 0,
      -- Attempts allowed before the delivery fails; a redelivery by hand grants a fresh round.
      attempt_limit integer,
      manual boolean NOT NULL DEFAULT false,
      next_attempt_at timestamptz,
      lease_until timestamptz,
      last_response_code integer,
      last_latency_ms double precision,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      UNIQUE (event_id, subscription_id)
    );
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
      WHERE status IN ('pending','retrying','sending');
    CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at DESC);

    CREATE TABLE webhook_delivery_attempts (
      id bigserial PRIMARY KEY,
      delivery_id text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
      attempt integer NOT NULL,
      manual boolean NOT NULL DEFAULT false,
      started_at timestamptz NOT NULL DEFAULT now(),
      response_code integer,
      latency_ms double precision NOT NULL,
      error text,
      next_retry_at timestamptz
    );
    CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id);

    CREATE FUNCTION webhook_emit(event_type text, body jsonb) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE
      new_id text;
    BEGIN
      -- Nobody listening: nothing to keep (the domain row itself is the record).
      IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled AND event_type = ANY (events)) THEN
        RETURN NULL;
      END IF;
      new_id := 'evt_' || replace(gen_random_uuid()::text, '-', '');
      INSERT INTO webhook_events (id, type, payload) VALUES (new_id, event_type, body);
      INSERT INTO webhook_deliveries (id, event_id, subscription_id, next_attempt_at)
        SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), new_id, s.id, now()
        FROM webhook_subscriptions s WHERE s.enabled AND event_type = ANY (s.events);
      RETURN new_id;
    END $$;

    CREATE FUNCTION webhook_escalation_opened() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      conversation record;
    BEGIN
      SELECT channel, contact_id, account_id INTO conversation FROM conversations WHERE id = NEW.conversation_id;
      IF NEW.reason = 'approval_required' THEN
        PERFORM webhook_emit('approval.requested', jsonb_build_object(
          'escalationId', NEW.id,
          'conversationId', NEW.conversation_id,
          'channel', conversation.channel,
          'contactId', conversation.contact_id,
          'accountId', conversation.account_id,
          'priority', NEW.priority,
          'action', CASE WHEN jsonb_typeof(NEW.packet->'pendingAction') = 'object' THEN jsonb_build_object(
            'connector', NEW.packet->'pendingAction'->>'connector',
            'operation', NEW.packet->'pendingAction'->>'operation') ELSE NULL END,
          'requestedAt', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
      ELSE
        PERFORM webhook_emit('conversation.escalated', jsonb_build_object(
          'escalationId', NEW.id,
          'conversationId', NEW.conversation_id,
          'channel', conversation.channel,
          'contactId', conversation.contact_id,
          'accountId', conversation.account_id,
          'reason', NEW.reason,
          'priority', NEW.priority,
          'escalatedAt', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER webhook_escalation_opened AFTER INSERT ON escalations
      FOR EACH ROW EXECUTE FUNCTION webhook_escalation_opened();

    CREATE FUNCTION webhook_conversation_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM webhook_emit('conversation.resolved', jsonb_build_object(
        'conversationId', NEW.id,
        'channel', NEW.channel,
        'contactId', NEW.contact_id,
        'accountId', NEW.account_id,
        'outcome', NEW.outcome,
        'resolvedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
      RETURN NULL;
    END $$;
    CREATE TRIGGER webhook_conversation_resolved AFTER UPDATE OF status ON conversations
      FOR EACH ROW WHEN (NEW.status = 'resolved' AND OLD.status IS DISTINCT FROM 'resolved')
      EXECUTE FUNCTION webhook_conversation_resolved();

    -- The audit row's detail is left out on purpose: payloads carry ids and facts, never field values.
    CREATE FUNCTION webhook_action_executed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM webhook_emit('action.executed', jsonb_build_object(
        'auditId', NEW.id::text,
        'conversationId', NEW.conversation_id,
        'actor', NEW.actor,
        'accountId', NEW.account_id,
        'connector', NEW.connector_id,
        'operation', NEW.operation,
        'idempotencyKey', NEW.idempotency_key,
        'latencyMs', round(NEW.latency_ms::numeric, 1),
        'executedAt', to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
      RETURN NULL;
    END $$;
    CREATE TRIGGER webhook_action_executed AFTER INSERT ON audit_log
      FOR EACH ROW WHEN (NEW.effect = 'write' AND NEW.outcome = 'ok')
      EXECUTE FUNCTION webhook_action_executed();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS webhook_action_executed ON audit_log;
    DROP TRIGGER IF EXISTS webhook_conversation_resolved ON conversations;
    DROP TRIGGER IF EXISTS webhook_escalation_opened ON escalations;
    DROP FUNCTION IF EXISTS webhook_action_executed();
    DROP FUNCTION IF EXISTS webhook_conversation_resolved();
    DROP FUNCTION IF EXISTS webhook_escalation_opened();
    DROP FUNCTION IF EXISTS webhook_emit(text, jsonb);
    DROP TABLE IF EXISTS webhook_delivery_attempts, webhook_deliveries, webhook_events, webhook_subscriptions CASCADE;
  `.execute(db);
}
