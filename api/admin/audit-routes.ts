import type { ApiApp, ApiContext } from '../context.ts';
import {
  auditQuerySchema,
  auditResponseSchema,
  outboxQuerySchema,
  outboxResponseSchema,
} from '../contract/admin.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, iso } from './shared.ts';

interface AuditRowRecord {
  id: string;
  at: Date;
  conversation_id: string | null;
  actor: string;
  account_id: string | null;
  connector_id: string;
  operation: string;
  effect: 'read' | 'write';
  idempotency_key: string | null;
  outcome: string;
  error_kind: string | null;
  latency_ms: number;
  stale: boolean;
  detail: Record<string, unknown>;
}

/** The audit log (keyset-paged, newest first) and, in the embedded demo, the email outbox. */
export async function registerAuditRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;

  app.get(
    '/api/admin/audit',
    {
      schema: {
        ...adminSchema,
        summary:
          'Connector calls and admin changes, newest first; pass nextBefore as before for the next page',
        querystring: auditQuerySchema,
        response: { 200: auditResponseSchema },
      },
    },
    async (request) => {
      const { before, limit, connector, outcome, conversation } = request.query;
      // Rows still buffered in this process would be missing from the newest page.
      await context.switchboard.gateway.flush();
      const { rows } = await pool.query<AuditRowRecord>(
        `SELECT id::text AS id, at, conversation_id, actor, account_id, connector_id, operation, effect,
           idempotency_key, outcome, error_kind, latency_ms, stale, detail
         FROM audit_log a
         WHERE ($1::bigint IS NULL OR a.id < $1::bigint) AND ($2::text IS NULL OR connector_id = $2)
           AND ($3::text IS NULL OR outcome = $3) AND ($4::text IS NULL OR conversation_id = $4)
         ORDER BY a.id DESC LIMIT $5`,
        [before ?? null, connector ?? null, outcome ?? null, conversation ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      return {
        entries: page.map((row) => ({
          id: row.id,
          at: iso(row.at)!,
          conversationId: row.conversation_id,
          actor: row.actor,
          accountId: row.account_id,
          connectorId: row.connector_id,
          operation: row.operation,
          effect: row.effect,
          idempotencyKey: row.idempotency_key,
          outcome: row.outcome,
          errorKind: row.error_kind,
          latencyMs: Math.round(Number(row.latency_ms) * 10) / 10,
          stale: row.stale,
          detail: row.detail ?? {},
        })),
        nextBefore: rows.length > limit ? page[page.length - 1]!.id : null,
      };
    },
  );

  app.get(
    '/api/admin/outbox',
    {
      schema: {
        ...adminSchema,
        summary:
          'Embedded demo only: the emails Switchboard sent or is sending (codes, invoices, confirmations)',
        querystring: outboxQuerySchema,
        response: { 200: outboxResponseSchema },
      },
    },
    async (request) => {
      if (context.settings.mode !== 'embedded') {
        throw new ApiError('not_available', 'The email outbox is shown only in the embedded demo');
      }
      const { rows } = await pool.query<{
        id: string;
        message_id: string;
        conversation_id: string | null;
        to_address: string;
        from_address: string;
        subject: string;
        text_body: string;
        template: string | null;
        status: 'queued' | 'sending' | 'sent' | 'failed';
        attempts: number;
        last_error: string | null;
        created_at: Date;
        sent_at: Date | null;
      }>(
        `SELECT id, message_id, conversation_id, to_address, from_address, subject, text_body, template, status,
           attempts, last_error, created_at, sent_at
         FROM email_outbox WHERE ($1::text IS NULL OR status = $1)
         ORDER BY created_at DESC, id DESC LIMIT $2`,
        [request.query.status ?? null, request.query.limit],
      );
      return {
        messages: rows.map((row) => ({
          id: row.id,
          messageId: row.message_id,
          conversationId: row.conversation_id,
          to: row.to_address,
          from: row.from_address,
          subject: row.subject,
          textBody: row.text_body,
          template: row.template,
          status: row.status,
          attempts: row.attempts,
          lastError: row.last_error,
          createdAt: iso(row.created_at)!,
          sentAt: iso(row.sent_at),
        })),
      };
    },
  );
}
