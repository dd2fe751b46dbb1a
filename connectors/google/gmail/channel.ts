import type pg from 'pg';
import type { MailLoopReason } from '../../email/inbound/mail-loop.ts';
import {
  type InboundMailOptions,
  receiveInboundEmail,
  type StoredInboundEmail,
  type StoredMailHook,
} from '../../email/inbound/receive.ts';
import { type GmailClient, type GmailMessage, type GmailPart, HistoryExpiredError } from './client.ts';
import { attachmentsOf, type GmailAttachmentRef, reducedRawOf } from './mime.ts';

/** The labels the channel keeps on the support mailbox (created when missing). */
export const gmailLabels = {
  answered: 'Switchboard/Answered',
  human: 'Switchboard/Human',
} as const;

/** Settings of the Gmail channel. */
export interface GmailChannelOptions {
  pool: pg.Pool;
  /** A client of the `gmail_channel` feature (gmail.modify). */
  client: GmailClient;
  /** Authentication, threading and storage of received mail: the same as every other way mail comes in. */
  mail: InboundMailOptions;
  /**
   * A message larger than this (Gmail's size estimate) is not downloaded whole: it is stored from its
   * text part, unauthenticated (its DKIM body hash cannot be checked), attachments by reference only.
   * Default 10 MiB.
   */
  maxRawBytes?: number;
  /** Attachments larger than this are marked `over_limit` and never offered for download. Default 25 MiB. */
  maxAttachmentBytes?: number;
  /** How many of the newest INBOX messages a full resync reads (after Gmail forgot our history id). Default 100. */
  resyncMessages?: number;
}

/** What became of one Gmail message. */
export type GmailIntakeOutcome =
  | { kind: 'known' }
  | { kind: 'skipped'; why: string }
  | { kind: 'refused'; why: string }
  | { kind: 'stored'; stored: StoredInboundEmail; loop?: MailLoopReason };

/** What one sync pass did. */
export interface GmailSyncSummary {
  account: string;
  mode: 'initial' | 'history' | 'full_resync';
  seen: number;
  stored: StoredInboundEmail[];
  skipped: number;
  refused: number;
  historyId: string;
}

const notSupportMail = ['SENT', 'DRAFT', 'SPAM', 'TRASH'];

/**
 * The support mailbox in Gmail as a way in for the email channel: reads new mail from the mailbox
 * history (polled, or when a Pub/Sub push says something changed — the same pass either way) and
 * hands each message's raw bytes to the inbound pipeline every other mail goes through (parse,
 * reply text, loop detection, DKIM/DMARC, threading, verification). A Gmail message is handled once
 * whoever sees it first: the `gmail_messages` ledger is written in the transaction that stores it.
 */
export function createGmailChannel(options: GmailChannelOptions) {
  const { pool, client } = options;
  const maxRawBytes = options.maxRawBytes ?? 10 * 1024 * 1024;
  const maxAttachmentBytes = options.maxAttachmentBytes ?? 25 * 1024 * 1024;
  let labelIds: Record<keyof typeof gmailLabels, string> | null = null;

  async function record(
    db: pg.ClientBase | pg.Pool,
    account: string,
    message: Pick<GmailMessage, 'id' | 'threadId'>,
    outcome: 'duplicate' | 'refused' | 'skipped' | 'stored',
    extra: {
      rfc822?: string;
      subject?: string;
      conversationId?: string;
      messageRowId?: string;
      attachments?: GmailAttachmentRef[];
    } = {},
  ): Promise<void> {
    await db.query(
      `INSERT INTO gmail_messages (gmail_message_id, account, thread_id, direction, rfc822_message_id, subject, outcome,
         conversation_id, message_row_id, attachments)
       VALUES ($1, $2, $3, 'inbound', $4, $5, $6, $7, $8, $9)
       ON CONFLICT (gmail_message_id) DO NOTHING`,
      [
        message.id,
        account,
        message.threadId,
        extra.rfc822 ?? null,
        (extra.subject ?? '').slice(0, 500),
        outcome,
        extra.conversationId ?? null,
        extra.messageRowId ?? null,
        JSON.stringify(extra.attachments ?? []),
      ],
    );
  }

  /** One Gmail message, once: fetched, authenticated and stored, or recorded as not support mail. */
  async function intake(account: string, id: string): Promise<GmailIntakeOutcome> {
    const seen = await pool.query('SELECT 1 FROM gmail_messages WHERE gmail_message_id = $1', [id]);
    if ((seen.rowCount ?? 0) > 0) return { kind: 'known' };
    const full = await client.getMessage(id, 'full');
    // Mail a person sent from the mailbox (or our own replies), drafts, spam: not support mail.
    const labels = new Set(full.labelIds);
    if (!labels.has('INBOX') || notSupportMail.some((label) => labels.has(label))) {
      await record(pool, account, full, 'skipped');
      return { kind: 'skipped', why: [...labels].join(',') || 'no labels' };
    }
    const attachments = attachmentsOf(full.id, full.payload, maxAttachmentBytes);
    const oversized = full.sizeEstimate > maxRawBytes;
    let raw: Buffer;
    if (oversized) raw = reducedRawOf(full.payload as GmailPart);
    else {
      const whole = await client.getMessage(id, 'raw');
      if (!whole.raw) throw new Error(`Gmail returned message ${id} without its raw form`);
      raw = Buffer.from(whole.raw, 'base64url');
    }
    const hook: StoredMailHook = async (db, stored) => {
      await record(db, account, full, stored.duplicate ? 'duplicate' : 'stored', {
        rfc822: stored.emailMessageId,
        subject: headerOf(full.payload, 'subject') ?? '',
        conversationId: stored.conversationId,
        messageRowId: stored.messageId,
        attachments,
      });
      if (stored.duplicate) return;
      // Where the mail is in Gmail, and its attachments by reference (the agent never reads them).
      await db.query(
        `UPDATE messages SET metadata = metadata || jsonb_build_object('gmail', $2::jsonb) WHERE id = $1`,
        [
          stored.messageId,
          JSON.stringify({
            message_id: full.id,
            thread_id: full.threadId,
            attachments,
            ...(oversized ? { size_estimate: full.sizeEstimate, body_only: true } : {}),
          }),
        ],
      );
    };
    // Gmail gives no SMTP envelope: SPF is not evaluated, DKIM and DMARC are (as for a queued mail).
    const received = await receiveInboundEmail(pool, raw, {}, options.mail, hook);
    if (!received.ok) {
      await record(pool, account, full, 'refused', { subject: headerOf(full.payload, 'subject') ?? '' });
      return { kind: 'refused', why: `${received.responseCode} ${received.message}` };
    }
    return {
      kind: 'stored',
      stored: received.stored,
      ...(received.email.loop ? { loop: received.email.loop } : {}),
    };
  }

  async function mailboxState(account: string): Promise<string | null> {
    const { rows } = await pool.query<{ history_id: string | null }>(
      'SELECT history_id::text FROM gmail_mailbox WHERE account = $1',
      [account],
    );
    return rows[0]?.history_id ?? null;
  }

  async function saveHistoryId(account: string, historyId: string, fullSync: boolean): Promise<void> {
    // Never backwards: two passes may finish out of order.
    await pool.query(
      `INSERT INTO gmail_mailbox (account, history_id, last_synced_at, last_full_sync_at)
       VALUES ($1, $2::numeric, now(), CASE WHEN $3 THEN now() END)
       ON CONFLICT (account) DO UPDATE SET
         history_id = GREATEST(gmail_mailbox.history_id, EXCLUDED.history_id),
         last_synced_at = now(),
         last_full_sync_at = COALESCE(EXCLUDED.last_full_sync_at, gmail_mailbox.last_full_sync_at)`,
      [account, historyId, fullSync],
    );
  }

  /**
   * One pass: every message added to the INBOX since the stored history id, in history order. The
   * history id is saved only after every message was handled, so a pass that fails is repeated from
   * the same point (the ledger skips what it already stored). The first pass starts at the mailbox's
   * present: mail that was there before the channel was connected is not answered. A history id
   * Gmail no longer keeps (about a week) means a full resync from the newest INBOX messages.
   */
  async function sync(): Promise<GmailSyncSummary> {
    const profile = await client.profile();
    const account = profile.emailAddress.toLowerCase();
    const start = await mailboxState(account);
    const summary: GmailSyncSummary = {
      account,
      mode: start ? 'history' : 'initial',
      seen: 0,
      stored: [],
      skipped: 0,
      refused: 0,
      historyId: profile.historyId,
    };
    if (!start) {
      await saveHistoryId(account, profile.historyId, false);
      return summary;
    }
    const handle = async (id: string) => {
      summary.seen += 1;
      const outcome = await intake(account, id);
      if (outcome.kind === 'stored') summary.stored.push(outcome.stored);
      else if (outcome.kind === 'skipped') summary.skipped += 1;
      else if (outcome.kind === 'refused') summary.refused += 1;
    };
    try {
      const ids: string[] = [];
      let pageToken: string | undefined;
      let latest = start;
      do {
        const page = await client.history(start, pageToken);
        for (const record of page.history) {
          for (const added of record.messagesAdded ?? [])
            if (added.message.labelIds.includes('INBOX')) ids.push(added.message.id);
          // A message moved into the INBOX (out of spam, by a filter) is new support mail too.
          for (const labelled of record.labelsAdded ?? [])
            if (labelled.labelIds.includes('INBOX')) ids.push(labelled.message.id);
        }
        latest = page.historyId;
        pageToken = page.nextPageToken;
      } while (pageToken);
      for (const id of new Set(ids)) await handle(id);
      await saveHistoryId(account, latest, false);
      summary.historyId = latest;
    } catch (error) {
      if (!(error instanceof HistoryExpiredError)) throw error;
      // The profile's history id was read before the list: mail arriving meanwhile is in the next pass.
      summary.mode = 'full_resync';
      const recent = await client.listMessages({
        labelIds: ['INBOX'],
        maxResults: options.resyncMessages ?? 100,
      });
      for (const message of [...recent.messages].reverse()) await handle(message.id);
      await saveHistoryId(account, profile.historyId, true);
    }
    return summary;
  }

  /** The channel's label ids, creating the labels that are missing. */
  async function ensureLabels(): Promise<Record<keyof typeof gmailLabels, string>> {
    if (labelIds) return labelIds;
    const existing = (await client.listLabels()).labels;
    const found: Partial<Record<keyof typeof gmailLabels, string>> = {};
    for (const [key, name] of Object.entries(gmailLabels) as Array<[keyof typeof gmailLabels, string]>) {
      let label = existing.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
      if (!label) {
        try {
          label = await client.createLabel(name);
        } catch {
          // Another process created it meanwhile (409): read it back.
          label = (await client.listLabels()).labels.find((candidate) => candidate.name === name);
          if (!label) throw new Error(`the Gmail label ${name} could not be created`);
        }
      }
      found[key] = label.id;
    }
    labelIds = found as Record<keyof typeof gmailLabels, string>;
    return labelIds;
  }

  /**
   * Marks in Gmail what happened to support mail: `Switchboard/Answered` once a reply went out in
   * its conversation, `Switchboard/Human` once a person took it over (an escalation). Labels are
   * applied once (recorded in the ledger) and only for the last 30 days of mail.
   */
  async function reconcileLabels(account: string): Promise<number> {
    const { rows } = await pool.query<{
      gmail_message_id: string;
      answered: boolean;
      human: boolean;
      labels_applied: string[];
    }>(
      `SELECT g.gmail_message_id, g.labels_applied,
         EXISTS (SELECT 1 FROM email_outbox o WHERE o.conversation_id = g.conversation_id AND o.status = 'sent'
                   AND o.created_at >= g.created_at) AS answered,
         EXISTS (SELECT 1 FROM escalations e WHERE e.conversation_id = g.conversation_id) AS human
       FROM gmail_messages g
       WHERE g.account = $1 AND g.direction = 'inbound' AND g.outcome = 'stored'
         AND g.created_at > now() - interval '30 days'
         AND NOT (g.labels_applied @> ARRAY['answered', 'human'])
       ORDER BY g.created_at LIMIT 200`,
      [account],
    );
    let applied = 0;
    for (const row of rows) {
      const wanted = (['answered', 'human'] as const).filter(
        (key) => row[key] && !row.labels_applied.includes(key),
      );
      if (wanted.length === 0) continue;
      const ids = await ensureLabels();
      await client.modify(
        row.gmail_message_id,
        wanted.map((key) => ids[key]),
      );
      await pool.query(
        'UPDATE gmail_messages SET labels_applied = ARRAY(SELECT DISTINCT unnest(labels_applied || $2::text[])) WHERE gmail_message_id = $1',
        [row.gmail_message_id, wanted],
      );
      applied += wanted.length;
    }
    return applied;
  }

  /**
   * Starts or renews the mailbox's push notifications to `topicName`; Gmail ends a watch after 7
   * days, so this runs daily and renews once less than `renewBeforeMs` (default 2 days) is left.
   */
  async function renewWatch(topicName: string, renewBeforeMs = 2 * 24 * 3600 * 1000) {
    const profile = await client.profile();
    const account = profile.emailAddress.toLowerCase();
    const { rows } = await pool.query<{ watch_expires_at: Date | null }>(
      'SELECT watch_expires_at FROM gmail_mailbox WHERE account = $1',
      [account],
    );
    const expires = rows[0]?.watch_expires_at;
    if (expires && expires.getTime() - Date.now() > renewBeforeMs)
      return { renewed: false, expiresAt: expires };
    const watch = await client.watch(topicName);
    const expiresAt = new Date(Number(watch.expiration));
    // A first watch also starts the history where the watch starts.
    await pool.query(
      `INSERT INTO gmail_mailbox (account, history_id, watch_expires_at) VALUES ($1, $2::numeric, $3)
       ON CONFLICT (account) DO UPDATE SET watch_expires_at = EXCLUDED.watch_expires_at,
         history_id = COALESCE(gmail_mailbox.history_id, EXCLUDED.history_id)`,
      [account, watch.historyId, expiresAt],
    );
    return { renewed: true, expiresAt };
  }

  return { sync, intake, reconcileLabels, ensureLabels, renewWatch };
}

export type GmailChannel = ReturnType<typeof createGmailChannel>;

function headerOf(payload: GmailPart | undefined, name: string): string | undefined {
  return payload?.headers?.find((header) => header.name.toLowerCase() === name)?.value;
}
