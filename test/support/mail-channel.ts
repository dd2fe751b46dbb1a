import { randomUUID } from 'node:crypto';
import { createDkimKey, signWithDkim, stubResolver } from '../../connectors/email/inbound/test-support.ts';
import type { TestApi } from './api-harness.ts';

/**
 * A customer's mail domain for email-channel tests: it signs with DKIM and publishes DMARC
 * `p=reject` in a stub DNS (pass `resolver` to the test API's `inboundMail`), so mail from it reads
 * as the real sender's.
 */
export function mailDomainOf(email: string) {
  const domain = email.split('@')[1]!;
  const key = createDkimKey();
  const dns = stubResolver({
    [`sb._domainkey.${domain} TXT`]: [key.record],
    [`_dmarc.${domain} TXT`]: ['v=DMARC1; p=reject'],
  });
  return {
    domain,
    resolver: dns.resolver,
    sign: (raw: string) => signWithDkim(raw, domain, key.privateKey),
    /** A fresh Message-ID of this domain. */
    messageId: () => `<${randomUUID()}@${domain}>`,
  };
}

/** A plain-text mail as a client sends it. */
export function plainMail(mail: {
  from: string;
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string;
}): string {
  return [
    `From: ${mail.from}`,
    'To: support@lumen.example',
    `Subject: ${mail.subject}`,
    `Message-ID: ${mail.messageId}`,
    ...(mail.inReplyTo ? [`In-Reply-To: ${mail.inReplyTo}`, `References: ${mail.inReplyTo}`] : []),
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    mail.text,
    '',
  ].join('\r\n');
}

/** The stored customer message a received mail became, once its turn is done. */
export interface ReceivedMessage {
  id: string;
  conversation_id: string;
  body: string;
  metadata: Record<string, unknown>;
}

/**
 * Receives a raw mail through the `email.inbound` job and waits (up to 30 s) until the turn of the
 * message it became is done.
 */
export async function receiveMail(api: TestApi, raw: string, messageId: string): Promise<ReceivedMessage> {
  await api.context.jobs.enqueue('email.inbound', { raw, receivedAt: new Date().toISOString() });
  for (let waited = 0; waited < 30_000; waited += 50) {
    const { rows } = await api.database.pool.query(
      `SELECT id::text, conversation_id, body, metadata, turn_status FROM messages WHERE client_message_id = $1`,
      [messageId],
    );
    if (rows[0]?.turn_status === 'done') {
      const { turn_status: _done, ...message } = rows[0];
      return message as ReceivedMessage;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the turn of ${messageId} did not finish`);
}
