import { type Kysely, sql } from 'kysely';

/**
 * Stripe webhooks in (`POST /api/webhooks/stripe`, connectors/billing/stripe/webhooks.ts):
 * - `stripe_webhook_events`: every verified event once, by Stripe's event id (a replay finds its row
 *   and changes nothing), with what was done with it (`applied`, `superseded` by a newer state of
 *   the same object, or `ignored`: a type we do not handle).
 * - `billing_events`: one row per handled event, for the console's customer panel: the account it
 *   belongs to (null when no account could be found for the Stripe customer), the Stripe object and
 *   its status and amount as the event carried them, and when Stripe created the event.
 * - `billing_object_states`: per Stripe object, the latest state seen, ordered by the event's
 *   `created` and then the object's own progress (`rank`), so an older event arriving late never
 *   replaces it.
 * - `connector_cache.account_id`: the account a cached read was for, so an event can drop that
 *   account's stale-read entries (null for rows stored before this column, and for reads of no account).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE stripe_webhook_events (
      event_id text PRIMARY KEY,
      type text NOT NULL,
      livemode boolean NOT NULL,
      created_at timestamptz NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('applied', 'superseded', 'ignored')),
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE billing_events (
      event_id text PRIMARY KEY REFERENCES stripe_webhook_events(event_id) ON DELETE CASCADE,
      account_id text,
      source text NOT NULL DEFAULT 'stripe',
      type text NOT NULL,
      object_type text NOT NULL,
      object_id text NOT NULL,
      status text,
      amount_cents bigint,
      currency text,
      occurred_at timestamptz NOT NULL,
      superseded boolean NOT NULL DEFAULT false,
      recorded_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX billing_events_account_idx ON billing_events (account_id, occurred_at DESC);
    CREATE INDEX billing_events_object_idx ON billing_events (object_id);
    CREATE TABLE billing_object_states (
      object_id text PRIMARY KEY,
      object_type text NOT NULL,
      account_id text,
      status text,
      amount_cents bigint,
      currency text,
      event_id text NOT NULL,
      event_created_at timestamptz NOT NULL,
      rank bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX billing_object_states_account_idx ON billing_object_states (account_id);
    ALTER TABLE connector_cache ADD COLUMN account_id text;
    CREATE INDEX connector_cache_account_idx ON connector_cache (connector_id, account_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS connector_cache_account_idx;
    ALTER TABLE connector_cache DROP COLUMN IF EXISTS account_id;
    DROP TABLE IF EXISTS billing_object_states, billing_events, stripe_webhook_events;
  `.execute(db);
}
