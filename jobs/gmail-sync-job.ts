import type pg from 'pg';
import type { Logger } from 'pino';
import type { GmailChannel, GmailSyncSummary } from '../connectors/google/gmail/channel.ts';
import type { EventBus } from '../conversations/live-events.ts';
import type { BullJobs } from './bullmq-jobs.ts';
import type { JobQueue, ParsedJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';
import { owedTurnOf } from './inbound-email-job.ts';

/** What the Gmail jobs need. */
export interface GmailJobDependencies {
  pool: pg.Pool;
  jobs: JobQueue;
  bus: EventBus;
  logger?: Logger;
  /** The channel; absent when `EMAIL_CHANNEL` is not `gmail` (the jobs then fail without retry). */
  gmail?: { channel: GmailChannel; topicName?: string };
}

/**
 * One pass of the Gmail channel: new mail becomes customer messages (channel.sync), each owes the
 * agent a turn as any received mail does (owedTurnOf: a machine's mail and our own are stored
 * answered), then the labels are brought up to date. Stored messages whose turn was never marked (a
 * crash between storing and queueing, which the ledger would otherwise skip for good) are picked up
 * again here.
 */
export async function runGmailSyncJob(
  deps: GmailJobDependencies,
  payload: ParsedJobPayload<'gmail.sync'>,
): Promise<GmailSyncSummary> {
  if (!deps.gmail) throw new PermanentJobError('the Gmail channel is not configured in this process');
  const summary = await deps.gmail.channel.sync();
  const owed = await deps.pool.query<{ message_id: string; conversation_id: string }>(
    `SELECT m.id::text AS message_id, m.conversation_id FROM gmail_messages g JOIN messages m ON m.id = g.message_row_id
      WHERE g.account = $1 AND g.outcome = 'stored' AND m.turn_status IS NULL ORDER BY m.id`,
    [summary.account],
  );
  for (const row of owed.rows) {
    await owedTurnOf(
      { pool: deps.pool, jobs: deps.jobs, bus: deps.bus },
      {
        conversationId: row.conversation_id,
        messageId: row.message_id,
        emailMessageId: '',
        contactId: null,
        accountId: null,
        newConversation: false,
        duplicate: false,
        threadedBy: 'duplicate',
        refusedThreads: [],
      },
    );
  }
  const labelled = await deps.gmail.channel.reconcileLabels(summary.account);
  if (summary.seen > 0 || labelled > 0 || summary.mode !== 'history')
    deps.logger?.info(
      {
        reason: payload.reason,
        mode: summary.mode,
        seen: summary.seen,
        stored: summary.stored.length,
        skipped: summary.skipped,
        refused: summary.refused,
        labelled,
        historyId: summary.historyId,
      },
      'gmail sync pass',
    );
  return summary;
}

/** Starts or renews the push watch. */
export async function runGmailWatchJob(deps: GmailJobDependencies): Promise<void> {
  if (!deps.gmail?.topicName)
    throw new PermanentJobError('Gmail push (GMAIL_PUBSUB_TOPIC) is not configured');
  const watch = await deps.gmail.channel.renewWatch(deps.gmail.topicName);
  deps.logger?.info({ renewed: watch.renewed, expiresAt: watch.expiresAt }, 'gmail watch checked');
}

/**
 * The Gmail schedules on BullMQ: the poll every `pollIntervalMs` and the watch renewal daily while
 * the channel (and push) is configured; removed otherwise.
 */
export async function scheduleGmailOnBull(
  bull: BullJobs,
  settings: { channel: boolean; push: boolean; pollIntervalMs: number },
): Promise<void> {
  if (settings.channel)
    await bull.repeat('gmail.sync', { reason: 'poll' }, { everyMs: settings.pollIntervalMs });
  else await bull.unrepeat('gmail.sync');
  if (settings.channel && settings.push)
    await bull.repeat('gmail.watch', { reason: 'schedule' }, { everyMs: 24 * 3600 * 1000 });
  else await bull.unrepeat('gmail.watch');
}
