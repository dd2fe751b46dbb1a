import { type Kysely, sql } from 'kysely';

/**
 * Customer satisfaction (docs/product.md, "CSAT"): one rating per conversation, 1–5 with an optional
 * comment, given in chat or through the link of the email channel. The primary key makes a second
 * rating of the same conversation impossible, whichever process or channel it comes through.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE csat_ratings (
      conversation_id text PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
      rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
      comment text CHECK (char_length(comment) <= 1000),
      channel text NOT NULL CHECK (channel IN ('chat', 'email')),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX csat_ratings_created_idx ON csat_ratings (created_at);

    -- csat.received for outbound webhooks (migration 0021), in the transaction that stores the
    -- rating. The comment is left out: it may hold anything the customer typed.
    CREATE FUNCTION webhook_csat_received() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE conversation record;
    BEGIN
      SELECT contact_id, account_id INTO conversation FROM conversations WHERE id = NEW.conversation_id;
      PERFORM webhook_emit('csat.received', jsonb_build_object(
        'conversationId', NEW.conversation_id,
        'channel', NEW.channel,
        'contactId', conversation.contact_id,
        'accountId', conversation.account_id,
        'rating', NEW.rating,
        'receivedAt', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
      RETURN NULL;
    END $$;
    CREATE TRIGGER webhook_csat_received AFTER INSERT ON csat_ratings
      FOR EACH ROW EXECUTE FUNCTION webhook_csat_received();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS csat_ratings;
    DROP FUNCTION IF EXISTS webhook_csat_received();
  `.execute(db);
}
