import type pg from 'pg';
import { operationsOf } from '../core/contract.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import { email } from './contract.ts';
import type { ReplyTokenKeys } from './message-id.ts';
import { sendEmailOperation } from './send.ts';
import type { EmailTransport } from './transport.ts';

/** Settings of the email connector. */
export interface EmailConnectorOptions {
  db: pg.Pool;
  /** The transport the dispatcher delivers with; `check()` verifies it. */
  transport: EmailTransport;
  /** The From header of outgoing mail. Default "Lumen Cloud Support <support@lumen.example>". */
  from?: string;
  /** The company name in the emails. Default "Lumen Cloud". */
  brandName?: string;
  messageIdDomain?: string;
  /** Signs the reply tokens of outgoing Message-IDs (see `OutboxOptions`). */
  replyTokens?: ReplyTokenKeys;
}

/**
 * The `email` connector: `email.send` queues a templated confirmation to the customer's own
 * address in the outbox; the dispatcher delivers it with the transport.
 */
/** Who confirmation emails come from unless configured. */
export const defaultSender = {
  from: 'Lumen Cloud Support <support@lumen.example>',
  brandName: 'Lumen Cloud',
};

export function createEmailConnector(options: EmailConnectorOptions): ConnectorDefinition {
  return {
    id: 'email',
    title:
      options.transport.kind === 'smtp'
        ? 'Email (SMTP)'
        : options.transport.kind === 'gmail'
          ? 'Email (Gmail)'
          : 'Email (local outbox)',
    grantedScopes: ['email.send'],
    check: () => options.transport.verify(),
    operations: operationsOf(
      email,
      [
        sendEmailOperation({
          db: options.db,
          from: options.from ?? defaultSender.from,
          brandName: options.brandName ?? defaultSender.brandName,
          ...(options.messageIdDomain ? { messageIdDomain: options.messageIdDomain } : {}),
          ...(options.replyTokens ? { replyTokens: options.replyTokens } : {}),
        }),
      ],
      'email',
    ),
  };
}
