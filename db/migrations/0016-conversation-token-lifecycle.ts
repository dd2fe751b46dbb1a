import { type Kysely, sql } from 'kysely';

/**
 * A chat conversation's access token gets a lifecycle (api/customer/conversations.ts, docs/api.md
 * "Conversation access tokens"):
 * - `access_token_expires_at`: when the token stops working; every accepted use moves it forward
 *   (sliding, `CONVERSATION_TOKEN_TTL_DAYS`). Null until its first use: then it is `created_at` + the
 *   lifetime.
 * - `access_token_revoked_at`: the customer signed out or ended the conversation; the token is dead.
 * - `access_token_verified`: the token was issued to a verified customer (an identity token at the
 *   start, or the new token handed out when a one-time code verified the visitor). A verified
 *   conversation refuses a token issued before its verification: that token is rotated.
 * - `access_token_previous_hash`: the token the rotation replaced, so it is answered "replaced"
 *   (401) rather than "no such conversation".
 *
 * Existing tokens: those of conversations verified by an identity token were issued verified; those
 * of conversations verified by a code were not, and stop working (the customer starts anew) — the
 * safe side for tokens that may have leaked before this change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE conversations ADD COLUMN access_token_expires_at timestamptz;
    ALTER TABLE conversations ADD COLUMN access_token_revoked_at timestamptz;
    ALTER TABLE conversations ADD COLUMN access_token_verified boolean NOT NULL DEFAULT false;
    ALTER TABLE conversations ADD COLUMN access_token_previous_hash text;
    UPDATE conversations SET access_token_verified = true
      WHERE access_token_hash IS NOT NULL AND verified AND verified_by = 'token';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE conversations DROP COLUMN IF EXISTS access_token_previous_hash;
    ALTER TABLE conversations DROP COLUMN IF EXISTS access_token_verified;
    ALTER TABLE conversations DROP COLUMN IF EXISTS access_token_revoked_at;
    ALTER TABLE conversations DROP COLUMN IF EXISTS access_token_expires_at;
  `.execute(db);
}
