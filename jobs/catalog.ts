import { z } from 'zod';

/**
 * Every background job Switchboard runs: its payload schema, retry policy and timeout. The BullMQ
 * queue (production) and the in-process runner (embedded) share this catalog and the same handlers,
 * so behaviour is the same in both modes.
 */
export const jobCatalog = {
  /** Drain a conversation's pending turns (customer messages, human approval decisions) in order. */
  'agent.turn': {
    payload: z.object({ conversationId: z.string().min(1) }),
    attempts: 6,
    backoffMs: 500,
    timeoutMs: 120_000,
  },
  /** Deliver due rows of the email outbox. */
  'email.outbound': {
    payload: z.object({ reason: z.string().default('tick') }),
    attempts: 3,
    backoffMs: 1_000,
    timeoutMs: 60_000,
  },
  /**
   * A raw RFC 822 message received for support: becomes a customer message in its conversation. The
   * SMTP client's address, HELO and MAIL FROM are optional (older payloads have none): without the
   * address SPF is not evaluated, DKIM and DMARC still are.
   */
  'email.inbound': {
    payload: z.object({
      raw: z.string().min(1).max(5_000_000),
      receivedAt: z.iso.datetime(),
      ip: z.union([z.ipv4(), z.ipv6()]).optional(),
      helo: z.string().min(1).max(255).optional(),
      /** '' for the null sender of a bounce. */
      mailFrom: z.string().max(320).optional(),
    }),
    attempts: 5,
    backoffMs: 1_000,
    timeoutMs: 30_000,
  },
  /**
   * Read new mail of the Gmail support mailbox from its history (connectors/google/gmail/channel.ts):
   * scheduled as the poll, and enqueued by each verified Pub/Sub push. Both run the same pass, and a
   * message seen by both is handled once (the `gmail_messages` ledger). Retried with backoff on
   * 429/5xx: the history id only moves once a pass succeeded, so nothing is lost.
   */
  'gmail.sync': {
    payload: z.object({
      reason: z.enum(['poll', 'push', 'admin']).default('poll'),
      /** The history id a push announced (informational: the pass reads from the stored one). */
      historyId: z.string().regex(/^\d+$/).max(20).optional(),
    }),
    attempts: 6,
    backoffMs: 2_000,
    timeoutMs: 120_000,
  },
  /** Start or renew the Gmail push watch (it ends after 7 days); daily while push is configured. */
  'gmail.watch': {
    payload: z.object({ reason: z.enum(['schedule', 'startup', 'admin']).default('schedule') }),
    attempts: 3,
    backoffMs: 30_000,
    timeoutMs: 30_000,
  },
  /** Ingest (or re-ingest) help-center articles. */
  'knowledge.ingest': {
    payload: z.object({
      articles: z
        .array(
          z.object({
            path: z.string().min(1).max(300),
            content: z.string().min(1).max(1_000_000),
            /** The admin's choice when the content does not say it (api/admin/knowledge-routes.ts). */
            visibility: z.enum(['public', 'internal']).optional(),
          }),
        )
        .min(1)
        .max(500),
      requestedBy: z.string().nullable().default(null),
    }),
    attempts: 3,
    backoffMs: 2_000,
    timeoutMs: 600_000,
  },
  /**
   * Sync an external knowledge source (the Zendesk Guide help center) into the index: scheduled while
   * the source is configured, and on demand from /admin. One run at a time per source.
   */
  'knowledge.sync': {
    payload: z.object({
      source: z.enum(['zendesk-guide', 'google-drive']),
      reason: z.enum(['schedule', 'admin']).default('schedule'),
      requestedBy: z.string().nullable().default(null),
    }),
    attempts: 3,
    backoffMs: 30_000,
    timeoutMs: 600_000,
  },
  /**
   * One attempt at an outbound webhook delivery (jobs/webhooks/deliveries.ts). The delivery row keeps
   * its own attempt count and exponential backoff (a failed attempt enqueues the next one delayed), so
   * these job-level retries only cover a handler that crashed before it recorded its attempt.
   */
  'webhook.deliver': {
    payload: z.object({ deliveryId: z.string().min(1).max(100) }),
    attempts: 3,
    backoffMs: 5_000,
    timeoutMs: 60_000,
  },
  /** Enqueue webhook deliveries that are due: new ones the outbox triggers wrote, and lost retries. */
  'webhook.sweep': {
    payload: z.object({ reason: z.string().default('tick') }),
    attempts: 1,
    backoffMs: 0,
    timeoutMs: 30_000,
  },
  /** Run an eval suite and store its results in `eval_runs`. */
  'eval.run': {
    payload: z.object({
      runId: z.string().min(1),
      suite: z.string().min(1),
      baseline: z.enum(['kb-only']).nullable().default(null),
      filter: z.string().nullable().default(null),
    }),
    attempts: 1,
    backoffMs: 0,
    timeoutMs: 1_800_000,
  },
  /** An escalation's SLA deadline passed: if nobody claimed it, raise its priority and tell the console. */
  'escalation.sla': {
    payload: z.object({ escalationId: z.string().min(1) }),
    attempts: 3,
    backoffMs: 1_000,
    timeoutMs: 10_000,
  },
  /** Re-enqueue turns left pending (an enqueue that failed after the message was stored, a lost job). */
  'maintenance.recover-turns': {
    payload: z.object({ olderThanMs: z.number().int().min(0).default(10_000) }),
    attempts: 1,
    backoffMs: 0,
    timeoutMs: 30_000,
  },
  /**
   * Purge finished conversations older than TRANSCRIPT_RETENTION_DAYS (conversations/retention.ts);
   * scheduled only while that is set (jobs/retention-job.ts).
   */
  'maintenance.purge-transcripts': {
    payload: z.object({ retentionDays: z.number().int().min(1).max(36_500) }),
    attempts: 3,
    backoffMs: 60_000,
    timeoutMs: 300_000,
  },
} as const;

export type JobType = keyof typeof jobCatalog;
export type JobPayload<T extends JobType> = z.input<(typeof jobCatalog)[T]['payload']>;
export type ParsedJobPayload<T extends JobType> = z.output<(typeof jobCatalog)[T]['payload']>;

/** What a handler learns about the run it is in. */
export interface JobContext {
  jobId: string;
  /** 1 on the first try. */
  attempt: number;
  /** Aborted on timeout or shutdown: long handlers should stop at the next safe point. */
  signal: AbortSignal;
}

export type JobHandlers = {
  [T in JobType]: (payload: ParsedJobPayload<T>, context: JobContext) => Promise<void>;
};

export interface EnqueueOptions {
  /**
   * De-duplication key. While a job with this id is waiting or delayed (including a retry backoff), a
   * new one is ignored. While it is running, one follow-up run (the latest payload) is queued to start
   * when it finishes, so work that arrived during the run is never lost and two runs with the same id
   * never overlap (BullMQ `deduplication: { id, keepLastIfActive: true }`).
   */
  jobId?: string;
  delayMs?: number;
}

/** Where the API (and handlers) put work. */
export interface JobQueue {
  enqueue<T extends JobType>(type: T, payload: JobPayload<T>, options?: EnqueueOptions): Promise<void>;
  /** Jobs waiting, running, delayed and failed (for the admin page and readiness). */
  counts(): Promise<Record<'waiting' | 'active' | 'delayed' | 'failed', number>>;
  close(): Promise<void>;
}

/** Validates a payload against the catalog; throws a ZodError naming the job type. */
export function parseJobPayload<T extends JobType>(type: T, payload: unknown): ParsedJobPayload<T> {
  return jobCatalog[type].payload.parse(payload) as ParsedJobPayload<T>;
}
