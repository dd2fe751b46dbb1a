import { createHash } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/database.ts';

/**
 * Transcript retention (docs/privacy.md, "Retention"): with `TRANSCRIPT_RETENTION_DAYS` set, the
 * `maintenance.purge-transcripts` job deletes finished conversations (status `resolved` or `closed`)
 * whose last activity is older than that — the row, its messages, escalations and one-time codes
 * (ON DELETE CASCADE), the agent's checkpoints of it and the outbox mail already delivered in it.
 * Conversations still open, waiting or escalated are never purged, nor one with a turn still owed.
 * The audit log and the idempotency ledger are kept (they are the record of what was done).
 */

export const purgeReportSchema = z.object({
  retentionDays: z.number(),
  cutoff: z.string(),
  conversations: z.number().int(),
  messages: z.number().int(),
  checkpoints: z.number().int(),
  outboxEmails: z.number().int(),
});
export type PurgeReport = z.infer<typeof purgeReportSchema>;

export interface PurgeOptions {
  retentionDays: number;
  now?: Date;
  /** Conversations per transaction: a large backlog is purged in short transactions. */
  batchSize?: number;
  /** Stops between batches (a job's timeout or shutdown). */
  signal?: AbortSignal;
}

const dayMs = 24 * 60 * 60_000;

/**
 * Purges the transcripts older than the retention period, in batches of one transaction each, and
 * records one audit row with the counts when anything was purged. Safe to run concurrently (rows
 * another run holds are skipped) and repeatedly.
 */
export async function purgeExpiredTranscripts(pool: pg.Pool, options: PurgeOptions): Promise<PurgeReport> {
  const retentionDays = z.number().positive().max(36_500).parse(options.retentionDays);
  const batchSize = options.batchSize ?? 200;
  const cutoff = new Date((options.now ?? new Date()).getTime() - retentionDays * dayMs);
  const report: PurgeReport = {
    retentionDays,
    cutoff: cutoff.toISOString(),
    conversations: 0,
    messages: 0,
    checkpoints: 0,
    outboxEmails: 0,
  };
  const startedAt = performance.now();
  for (;;) {
    if (options.signal?.aborted) break;
    const purged = await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT c.id FROM conversations c
         WHERE c.status IN ('resolved', 'closed') AND c.updated_at < $1
           AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                             AND (m.created_at >= $1 OR m.turn_status IN ('pending', 'running')))
         ORDER BY c.updated_at, c.id
         LIMIT $2
         FOR UPDATE OF c SKIP LOCKED`,
        [cutoff, batchSize],
      );
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return 0;
      const { rows: sizes } = await client.query<{ count: string }>(
        'SELECT count(*)::text AS count FROM messages WHERE conversation_id = ANY($1::text[])',
        [ids],
      );
      report.messages += Number(sizes[0]?.count ?? 0);
      const { rows: tables } = await client.query<{ present: boolean }>(
        `SELECT to_regclass('checkpoints') IS NOT NULL AND to_regclass('checkpoint_blobs') IS NOT NULL
           AND to_regclass('checkpoint_writes') IS NOT NULL AS present`,
      );
      if (tables[0]?.present) {
        await client.query('DELETE FROM checkpoint_writes WHERE thread_id = ANY($1::text[])', [ids]);
        await client.query('DELETE FROM checkpoint_blobs WHERE thread_id = ANY($1::text[])', [ids]);
        report.checkpoints +=
          (await client.query('DELETE FROM checkpoints WHERE thread_id = ANY($1::text[])', [ids])).rowCount ??
          0;
      }
      // Mail still queued or sending is left to the dispatcher; delivered or failed mail is transcript.
      report.outboxEmails +=
        (
          await client.query(
            `DELETE FROM email_outbox WHERE conversation_id = ANY($1::text[]) AND status IN ('sent', 'failed')`,
            [ids],
          )
        ).rowCount ?? 0;
      const deleted = await client.query('DELETE FROM conversations WHERE id = ANY($1::text[])', [ids]);
      return deleted.rowCount ?? 0;
    });
    report.conversations += purged;
    if (purged < batchSize) break;
  }
  if (report.conversations > 0) {
    const detail = { ...report };
    await pool.query(
      `INSERT INTO audit_log (actor, connector_id, operation, effect, args_hash, outcome, latency_ms, detail)
       VALUES ('system', 'privacy', 'transcripts.purge', 'write', $1, 'purged', $2, $3)`,
      [
        createHash('sha256').update(JSON.stringify(detail)).digest('hex'),
        performance.now() - startedAt,
        JSON.stringify({
          retention_days: report.retentionDays,
          cutoff: report.cutoff,
          counts: {
            conversations: report.conversations,
            messages: report.messages,
            checkpoints: report.checkpoints,
            outbox_emails: report.outboxEmails,
          },
        }),
      ],
    );
  }
  return purgeReportSchema.parse(report);
}
