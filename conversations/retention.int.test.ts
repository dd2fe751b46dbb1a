import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { parseJobPayload } from '../jobs/catalog.ts';
import { purgeTranscriptsSchedule, runPurgeTranscriptsJob } from '../jobs/retention-job.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import { purgeExpiredTranscripts } from './retention.ts';
import { setUpCheckpointTables, writeCheckpoints } from './testing/privacy-world.ts';

let database: Database;
// Real time: the job reads the clock itself.
const now = new Date();
const daysAgo = (days: number) => new Date(now.getTime() - days * 24 * 60 * 60_000);

/** A conversation with two messages and agent checkpoints, last active `ageDays` ago. */
async function conversation(id: string, status: string, ageDays: number, lastMessageAgeDays = ageDays) {
  const at = daysAgo(ageDays);
  await database.pool.query(
    `INSERT INTO conversations (id, channel, status, created_at, updated_at) VALUES ($1, 'chat', $2, $3, $3)`,
    [id, status, at],
  );
  await database.pool.query(
    `INSERT INTO messages (conversation_id, role, body, created_at) VALUES ($1, 'customer', 'hello', $2), ($1, 'agent', 'hi', $3)`,
    [id, at, daysAgo(lastMessageAgeDays)],
  );
  await database.pool.query(
    `INSERT INTO email_outbox (id, message_id, conversation_id, to_address, from_address, subject, text_body, status)
     VALUES ($1, $2, $3, 'someone@example.com', 'support@lumen.example', 'Re', 'body', 'sent')`,
    [`out_${id}`, `<${id}@lumen.example>`, id],
  );
  await writeCheckpoints(saver, id, `transcript of ${id}`);
}

let saver: Awaited<ReturnType<typeof setUpCheckpointTables>>;
const exists = async (id: string) =>
  (await database.pool.query('SELECT 1 FROM conversations WHERE id = $1', [id])).rowCount === 1;

beforeAll(async () => {
  database = await createTestDatabase();
  saver = await setUpCheckpointTables(database.pool);
  await conversation('conv_old_resolved', 'resolved', 40);
  await conversation('conv_old_closed', 'closed', 35);
  await conversation('conv_old_open', 'open', 90);
  await conversation('conv_old_escalated', 'escalated', 90);
  await conversation('conv_old_waiting', 'waiting_customer', 90);
  await conversation('conv_recent_closed', 'closed', 5);
  // Resolved long ago, but a message came in since (the row's updated_at lags behind).
  await conversation('conv_closed_recent_message', 'closed', 60, 2);
}, 60_000);
afterAll(async () => database?.close());

describe(`transcript retention (${testDatabaseKind()})`, () => {
  it('purges only finished conversations older than the setting, with their checkpoints and sent mail, and audits it', async () => {
    const report = await purgeExpiredTranscripts(database.pool, { retentionDays: 30, now, batchSize: 1 });
    expect(report).toMatchObject({
      retentionDays: 30,
      cutoff: daysAgo(30).toISOString(),
      conversations: 2,
      messages: 4,
      checkpoints: 4,
      outboxEmails: 2,
    });
    expect(await exists('conv_old_resolved')).toBe(false);
    expect(await exists('conv_old_closed')).toBe(false);
    for (const kept of [
      'conv_old_open',
      'conv_old_escalated',
      'conv_old_waiting',
      'conv_recent_closed',
      'conv_closed_recent_message',
    ])
      expect(await exists(kept), kept).toBe(true);
    const orphans = await database.pool.query(
      `SELECT thread_id FROM checkpoints WHERE thread_id IN ('conv_old_resolved', 'conv_old_closed')
       UNION ALL SELECT thread_id FROM checkpoint_blobs WHERE thread_id IN ('conv_old_resolved', 'conv_old_closed')
       UNION ALL SELECT thread_id FROM checkpoint_writes WHERE thread_id IN ('conv_old_resolved', 'conv_old_closed')
       UNION ALL SELECT conversation_id FROM messages WHERE conversation_id IN ('conv_old_resolved', 'conv_old_closed')`,
    );
    expect(orphans.rows).toEqual([]);
    const kept = await database.pool.query(
      `SELECT count(*)::int AS n FROM checkpoints WHERE thread_id = 'conv_old_open'`,
    );
    expect(kept.rows[0].n).toBe(2);
    const audit = await database.pool.query(
      `SELECT actor, operation, outcome, detail FROM audit_log WHERE connector_id = 'privacy'`,
    );
    expect(audit.rows).toEqual([
      {
        actor: 'system',
        operation: 'transcripts.purge',
        outcome: 'purged',
        detail: {
          retention_days: 30,
          cutoff: daysAgo(30).toISOString(),
          counts: { conversations: 2, messages: 4, checkpoints: 4, outbox_emails: 2 },
        },
      },
    ]);
  });

  it('a run with nothing to purge removes nothing and writes no audit row', async () => {
    const report = await purgeExpiredTranscripts(database.pool, { retentionDays: 30, now });
    expect(report.conversations).toBe(0);
    const audit = await database.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE connector_id = 'privacy'`,
    );
    expect(audit.rows[0].n).toBe(1);
  });

  it('the job purges by its payload; the schedule exists only while retention is set', async () => {
    expect(purgeTranscriptsSchedule(undefined)).toBeNull();
    const schedule = purgeTranscriptsSchedule(3);
    expect(schedule?.everyMs).toBe(60 * 60_000);
    const queued: unknown[] = [];
    await schedule!.enqueue({
      enqueue: async (type, payload, options) => {
        queued.push({ type, payload: parseJobPayload(type, payload), options });
      },
      counts: async () => ({ waiting: 0, active: 0, delayed: 0, failed: 0 }),
      close: async () => {},
    });
    expect(queued).toEqual([
      {
        type: 'maintenance.purge-transcripts',
        payload: { retentionDays: 3 },
        options: { jobId: 'purge-transcripts' },
      },
    ]);
    expect(() => parseJobPayload('maintenance.purge-transcripts', { retentionDays: 0 })).toThrow();
    // Three days: the recently closed conversation (5 days) goes now; the one with a 2-day-old message stays.
    const report = await runPurgeTranscriptsJob(
      { pool: database.pool },
      { retentionDays: 3 },
      { signal: new AbortController().signal },
    );
    expect(report.conversations).toBe(1);
    expect(await exists('conv_recent_closed')).toBe(false);
    expect(await exists('conv_closed_recent_message')).toBe(true);
    expect(await exists('conv_old_open')).toBe(true);
  });

  it('refuses a retention period that is not a positive number of days', async () => {
    await expect(purgeExpiredTranscripts(database.pool, { retentionDays: 0, now })).rejects.toThrow();
    await expect(
      purgeExpiredTranscripts(database.pool, { retentionDays: Number.NaN, now }),
    ).rejects.toThrow();
  });
});
