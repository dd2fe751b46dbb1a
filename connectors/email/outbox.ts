import type pg from 'pg';
import { z } from 'zod';
import { ConnectorError } from '../core/errors.ts';
import { mintMessageId, outboxIdFor, processReplyTokenKeys, type ReplyTokenKeys } from './message-id.ts';
import { emailTemplates, renderEmail, type TemplateName } from './templates/index.ts';

/** Settings of the outbox: who mail is from and how it is branded. */
export interface OutboxOptions {
  db: pg.Pool;
  /** The From header, e.g. "Lumen Cloud Support <support@lumen.example>". */
  from: string;
  /** The company name used in the emails. */
  brandName: string;
  messageIdDomain?: string;
  /**
   * Signs the reply tokens in outgoing Message-IDs (connectors/email/message-id.ts). Whatever receives
   * mail must verify with the same keys; without them a key made up for this process is used.
   */
  replyTokens?: ReplyTokenKeys;
}

/** One email to queue: a template for a contact, under an idempotency key (the outbox ledger). */
export interface OutboxMessage {
  /** The customer's own contact (from the verified session): the address is looked up, never given. */
  contactId: string;
  /** Whether the session is verified; unverified customers only get codes, ticket references and hand-over notices. */
  verified: boolean;
  conversationId: string | null;
  template: TemplateName;
  variables: unknown;
  idempotencyKey: string;
  /**
   * Another address than the one on file: only for templates marked `explicitRecipient` (proving a new
   * address, telling the old one it was replaced).
   */
  to?: string;
}

/**
 * The outbox: Switchboard's own table of mail to deliver. Queueing renders the template and inserts
 * the row under its idempotency key (unique), so queueing twice queues once and keeps the first row's
 * Message-ID, a fresh signed reply token (message-id.ts); the dispatcher delivers rows through the
 * transport (SMTP or .eml files) and retries when that is down.
 */
export function createOutbox(options: OutboxOptions) {
  return {
    async enqueue(message: OutboxMessage): Promise<{
      message_id: string;
      to: string;
      subject: string;
      status: 'queued' | 'sending' | 'sent' | 'failed';
    }> {
      const template = emailTemplates[message.template];
      if (!template)
        throw new ConnectorError('invalid_input', `unknown email template ${String(message.template)}`);
      if (!message.verified && !template.allowUnverified) {
        throw new ConnectorError('forbidden', `the ${message.template} email needs a verified identity`);
      }
      const contacts = await options.db.query<{ name: string; email: string; timezone: string }>(
        'SELECT name, email, timezone FROM contacts WHERE id = $1',
        [message.contactId],
      );
      const contact = contacts.rows[0];
      if (!contact) throw new ConnectorError('not_found', `no contact ${message.contactId}`);
      if (message.to !== undefined && !template.explicitRecipient) {
        throw new ConnectorError(
          'forbidden',
          `the ${message.template} email only goes to the address on file`,
        );
      }
      const recipient = message.to === undefined ? contact.email : z.email().max(320).parse(message.to);
      const variables = template.variables.safeParse(message.variables);
      if (!variables.success) {
        const issue = variables.error.issues[0];
        throw new ConnectorError(
          'invalid_input',
          `bad variables for ${message.template}: ${issue?.path.join('.')} ${issue?.message}`,
        );
      }
      const rendered = renderEmail(message.template, variables.data as never, {
        contact: { name: contact.name, timezone: contact.timezone },
        brand: { name: options.brandName },
      });
      // The reference is for people (the customer quoting it, staff searching); it never threads a reply:
      // anyone can type it (conversations/email-intake.ts joins by the signed Message-ID only).
      const subject = message.conversationId
        ? `${rendered.subject} [#${message.conversationId}]`
        : rendered.subject;
      const messageId = mintMessageId(
        options.replyTokens ?? processReplyTokenKeys(),
        options.messageIdDomain,
      );
      await options.db.query(
        `INSERT INTO email_outbox (id, message_id, idempotency_key, conversation_id, to_address, from_address, subject,
           text_body, html_body, template)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT DO NOTHING`,
        [
          outboxIdFor(messageId),
          messageId,
          message.idempotencyKey,
          message.conversationId,
          recipient,
          options.from,
          subject,
          rendered.text,
          rendered.html,
          message.template,
        ],
      );
      const row = await options.db.query<{
        to_address: string;
        subject: string;
        status: 'queued' | 'sending' | 'sent' | 'failed';
        message_id: string;
      }>('SELECT message_id, to_address, subject, status FROM email_outbox WHERE idempotency_key = $1', [
        message.idempotencyKey,
      ]);
      const queued = row.rows[0]!;
      return {
        message_id: queued.message_id,
        to: queued.to_address,
        subject: queued.subject,
        status: queued.status,
      };
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
