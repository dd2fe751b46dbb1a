import { type Kysely, sql } from 'kysely';

/**
 * An idempotency key's lease gets its own fencing token and a named holder. Until now the lease was
 * only `locked_until`, which doubled as the token that fenced `complete`/`release`, so it could not
 * be renewed; a write therefore locked its key for a minute or more, and a retried job whose worker
 * had died met "already in progress" for that long. With `lease_id` as the token, the holder renews
 * `locked_until` on a heartbeat (connectors/core/idempotency.ts), a dead holder's lease expires within
 * one short TTL, and `holder`/`holder_job` say which process (and job) holds a key. Rows claimed
 * before this migration have no `lease_id`; a take-over gives them one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE idempotency_keys ADD COLUMN lease_id text;
    ALTER TABLE idempotency_keys ADD COLUMN holder text;
    ALTER TABLE idempotency_keys ADD COLUMN holder_job text;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS holder_job;
    ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS holder;
    ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS lease_id;
  `.execute(db);
}
