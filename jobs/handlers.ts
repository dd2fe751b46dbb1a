import type pg from 'pg';
import pino, { type Logger } from 'pino';
import type { CredentialVault } from '../connectors/core/vault.ts';
import type { EmailDispatcher } from '../connectors/email/dispatcher.ts';
import type { InboundMailOptions } from '../connectors/email/inbound/receive.ts';
import type { GoogleConnection } from '../connectors/google/connection.ts';
import { handleEscalationSla } from '../conversations/escalation-sla.ts';
import type { EventBus } from '../conversations/live-events.ts';
import type { Embedder } from '../knowledge/embedder.ts';
import { DocumentBatchError, DocumentError } from '../knowledge/errors.ts';
import { createIngester } from '../knowledge/ingest.ts';
import { sharedWorkerEmbedder } from '../knowledge/worker-embedder.ts';
import type { JobHandlers, JobQueue } from './catalog.ts';
import { PermanentJobError } from './errors.ts';
import { type EvalRunJobDependencies, runEvalJob } from './eval-run-job.ts';
import { type GmailJobDependencies, runGmailSyncJob, runGmailWatchJob } from './gmail-sync-job.ts';
import { handleInboundEmail } from './inbound-email-job.ts';
import { type KnowledgeSourcesConfig, runKnowledgeSyncJob } from './knowledge-sync-job.ts';
import { runPurgeTranscriptsJob } from './retention-job.ts';
import type { WebhookDispatcher } from './webhooks/deliveries.ts';

/** The agent-turn side the handlers drive (conversations/turns.ts provides it). */
export interface TurnRunner {
  /** Runs the conversation's pending turns, oldest first. */
  handleTurn(conversationId: string): Promise<void>;
  /** Re-enqueues turns pending longer than `olderThanMs`; returns their conversation ids. */
  recoverPendingTurns(olderThanMs: number): Promise<string[]>;
}

/** What the job handlers need; every entry point (API runtime, worker) builds one. */
export interface JobHandlerDependencies {
  pool: pg.Pool;
  /** Delivers the email outbox (the `email.dispatch` job). */
  switchboard: { dispatcher: Pick<EmailDispatcher, 'dispatchPending'> };
  bus: EventBus;
  /** Where handlers enqueue follow-up work (an inbound mail's agent turn). */
  jobs: JobQueue;
  /** How received mail is authenticated and threaded (the keys our outgoing Message-IDs are signed with). */
  inboundMail: InboundMailOptions;
  turns: TurnRunner;
  dataDir?: string;
  logger?: Logger;
  /** The embedder knowledge is indexed with (default: the shared local model in its worker thread). */
  embedder?: Embedder;
  evals?: Omit<EvalRunJobDependencies, 'pool'>;
  /** External knowledge sources (the `knowledge.sync` job); none configured when absent. */
  knowledgeSources?: KnowledgeSourcesConfig;
  /** Where the sources' stored credentials are (connector `knowledge`). */
  vault?: Pick<CredentialVault, 'get'>;
  /** The shared Google connection (the Drive knowledge source reads with it). */
  google?: GoogleConnection;
  /** The Gmail channel (the `gmail.*` jobs); absent, those jobs fail without retry. */
  gmail?: GmailJobDependencies['gmail'];
  /** Sends outbound webhooks (the `webhook.*` jobs); absent, those jobs fail without retry. */
  webhooks?: { dispatcher: Pick<WebhookDispatcher, 'deliver' | 'sweep'> };
}

/**
 * The handler of every catalog job type, shared by the in-process runner and the BullMQ workers.
 * Each one is idempotent: a retry, or a rerun after a worker died, does no harm.
 */
export function createJobHandlers(deps: JobHandlerDependencies): JobHandlers {
  const logger = deps.logger ?? pino({ enabled: false });
  return {
    'agent.turn': async ({ conversationId }) => {
      await deps.turns.handleTurn(conversationId);
    },

    'email.outbound': async ({ reason }) => {
      const summary = await deps.switchboard.dispatcher.dispatchPending();
      if (summary.sent + summary.retrying + summary.failed > 0)
        logger.info({ reason, ...summary }, 'outbox pass');
    },

    'email.inbound': async (payload) => {
      await handleInboundEmail(
        {
          pool: deps.pool,
          jobs: deps.jobs,
          bus: deps.bus,
          mail: deps.inboundMail,
          ...(deps.logger ? { logger: deps.logger } : {}),
        },
        payload,
      );
    },

    'gmail.sync': async (payload) => {
      await runGmailSyncJob(
        {
          pool: deps.pool,
          jobs: deps.jobs,
          bus: deps.bus,
          logger,
          ...(deps.gmail ? { gmail: deps.gmail } : {}),
        },
        payload,
      );
    },

    'gmail.watch': async () => {
      await runGmailWatchJob({
        pool: deps.pool,
        jobs: deps.jobs,
        bus: deps.bus,
        logger,
        ...(deps.gmail ? { gmail: deps.gmail } : {}),
      });
    },

    'knowledge.ingest': async ({ articles, requestedBy }) => {
      const ingester = createIngester({ embedder: deps.embedder ?? sharedWorkerEmbedder() });
      try {
        const report = await ingester.ingest(
          deps.pool,
          articles.map((article) => ({
            source: article.path,
            content: article.content,
            ...(article.visibility ? { metadata: { visibility: article.visibility } } : {}),
          })),
        );
        logger.info(
          {
            requestedBy,
            created: report.created.length,
            updated: report.updated.length,
            unchanged: report.unchanged.length,
          },
          'knowledge ingested',
        );
      } catch (error) {
        // Invalid documents fail the same way every time: no retries.
        if (error instanceof DocumentBatchError || error instanceof DocumentError) {
          throw new PermanentJobError(error.message);
        }
        throw error;
      }
    },

    'knowledge.sync': async (payload, context) => {
      await runKnowledgeSyncJob(
        {
          pool: deps.pool,
          ...(deps.knowledgeSources ? { knowledgeSources: deps.knowledgeSources } : {}),
          ...(deps.vault ? { vault: deps.vault } : {}),
          ...(deps.embedder ? { embedder: deps.embedder } : {}),
          ...(deps.google ? { google: deps.google } : {}),
          logger,
        },
        payload,
        context.signal,
      );
    },

    'eval.run': async (payload, context) => {
      await runEvalJob({ pool: deps.pool, ...deps.evals }, payload, context.signal);
    },

    'escalation.sla': async ({ escalationId }) => {
      const outcome = await handleEscalationSla({ pool: deps.pool, bus: deps.bus }, escalationId);
      logger.info({ escalationId, ...outcome }, 'escalation SLA checked');
    },

    'maintenance.recover-turns': async ({ olderThanMs }) => {
      const conversations = await deps.turns.recoverPendingTurns(olderThanMs);
      if (conversations.length > 0) logger.warn({ conversations }, 're-enqueued pending turns');
    },

    'maintenance.purge-transcripts': async (payload, context) => {
      await runPurgeTranscriptsJob({ pool: deps.pool, logger }, payload, context);
    },

    'webhook.deliver': async ({ deliveryId }) => {
      if (!deps.webhooks) throw new PermanentJobError('outbound webhooks are not set up in this process');
      await deps.webhooks.dispatcher.deliver(deliveryId);
    },

    'webhook.sweep': async () => {
      if (!deps.webhooks) throw new PermanentJobError('outbound webhooks are not set up in this process');
      await deps.webhooks.dispatcher.sweep();
    },
  };
}
