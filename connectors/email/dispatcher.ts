import type pg from 'pg';
import { withTransaction } from '../../db/database.ts';
import { maskedCode } from '../../db/one-time-codes.ts';
import type { EmailTransport } from './transport.ts';

/** Settings of the outbox dispatcher. */
export interface EmailDispatcherOptions {
  db: pg.Pool;
  transport: EmailTransport;
  /** After this many failed attempts a row is marked `failed`. Default 8 (about 2 hours of retries). */
  maxAttempts?: number;
  /** Attempt n (0-based) waits until created_at + base × (2ⁿ − 1). Default 30 s. */
  backoffBaseMs?: number;
  /** Rows per `dispatchPending()` pass. Default 50. */
  batchSize?: number;
  now?: () => Date;
  /**
   * Once a one-time code email is delivered, replace the code in the stored row (the outbox keeps
   * mail, not secrets). Off only in the embedded demo, whose admin outbox page stands in for the
   * customer's mailbox. Default on.
   */
  scrubDeliveredCodes?: boolean;
  /** Told about a background pass that failed as a whole (e.g. the database was down). */
  onError?: (error: unknown) => void;
}

/** What one pass did. */
export interface DispatchSummary {
  sent: number;
  retrying: number;
  failed: number;
}

interface OutboxRow {
  id: string;
  message_id: string;
  conversation_id: string | null;
  to_address: string;
  from_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  attempts: number;
}

/**
 * Delivers queued outbox rows. Each row is claimed with `FOR UPDATE SKIP LOCKED` in its own
 * transaction that stays open while it is sent: parallel workers never send the same row, and a
 * worker that dies mid-send releases it (the re-send carries the same Message-ID). On PGlite the
 * single connection serialises everything anyway.
 */
export function createEmailDispatcher(options: EmailDispatcherOptions) {
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffBaseMs = options.backoffBaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 50;
  const now = options.now ?? (() => new Date());
  const scrubDeliveredCodes = options.scrubDeliveredCodes ?? true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  async function dispatchOne(): Promise<keyof DispatchSummary | null> {
    return withTransaction(options.db, async (client) => {
      // Backoff from created_at and the attempt count: no extra column, and the same for every worker.
      const claimed = await client.query<OutboxRow>(
        `SELECT id, message_id, conversation_id, to_address, from_address, subject, text_body, html_body, attempts
         FROM email_outbox
         WHERE status = 'queued'
           AND created_at + make_interval(secs => $2::double precision * (power(2, least(attempts, 20)) - 1) / 1000) <= $1
         ORDER BY created_at, id
         LIMIT 1
         FOR UPDATE SKIP LOCKED`,
        [now(), backoffBaseMs],
      );
      const row = claimed.rows[0];
      if (!row) return null;
      const thread = row.conversation_id ? await threadHeaders(client, row.conversation_id) : {};
      try {
        await options.transport.send(
          {
            from: row.from_address,
            to: row.to_address,
            subject: row.subject,
            text: row.text_body,
            ...(row.html_body ? { html: row.html_body } : {}),
            messageId: row.message_id,
            ...thread,
          },
          { db: client },
        );
      } catch (error) {
        const attempts = row.attempts + 1;
        const status = attempts >= maxAttempts ? 'failed' : 'queued';
        await client.query(
          'UPDATE email_outbox SET attempts = $2, status = $3, last_error = $4 WHERE id = $1',
          [row.id, attempts, status, ((error as Error).message || String(error)).slice(0, 500)],
        );
        return status === 'failed' ? 'failed' : 'retrying';
      }
      await client.query(
        `UPDATE email_outbox SET attempts = attempts + 1, status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`,
        [row.id],
      );
      if (scrubDeliveredCodes) {
        await client.query(
          `UPDATE email_outbox SET text_body = regexp_replace(text_body, $3, $2, 'g'),
             html_body = regexp_replace(html_body, $3, $2, 'g')
           WHERE id = $1 AND template = 'verification_code'`,
          [row.id, maskedCode, String.raw`\m\d{6}\M`],
        );
      }
      return 'sent';
    });
  }

  /** One pass over what is due now. */
  async function dispatchPending(): Promise<DispatchSummary> {
    const summary: DispatchSummary = { sent: 0, retrying: 0, failed: 0 };
    for (let index = 0; index < batchSize; index++) {
      const outcome = await dispatchOne();
      if (!outcome) break;
      summary[outcome] += 1;
    }
    return summary;
  }

  function schedule(intervalMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = dispatchPending()
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => schedule(intervalMs));
    }, intervalMs);
    timer.unref();
  }

  return {
    dispatchPending,
    /** Runs a pass every `intervalMs` until `stop()`. */
    start(intervalMs = 2000): void {
      if (!stopped) return;
      stopped = false;
      schedule(intervalMs);
    },
    /** Stops the timer and waits for a pass in progress. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Replies in an email conversation answer the customer's latest mail, so their client threads them. */
async function threadHeaders(
  client: pg.PoolClient,
  conversationId: string,
): Promise<{ inReplyTo?: string; references?: string[] }> {
  const result = await client.query<{ client_message_id: string }>(
    `SELECT m.client_message_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.conversation_id = $1 AND c.channel = 'email' AND m.role = 'customer' AND m.client_message_id LIKE '<%>'
     ORDER BY m.id DESC LIMIT 1`,
    [conversationId],
  );
  const latest = result.rows[0]?.client_message_id;
  return latest ? { inReplyTo: latest, references: [latest] } : {};
}

/** The dispatcher's interface. */
export type EmailDispatcher = ReturnType<typeof createEmailDispatcher>;
