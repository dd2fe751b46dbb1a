import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { EmailTransport, OutgoingEmail, SendContext } from '../../email/transport.ts';
import type { GoogleConnection } from '../connection.ts';
import type { GmailClient } from './client.ts';

/** Subject as Gmail compares it to thread a reply: without Re:/Fwd: prefixes, spacing and case. */
export const threadSubject = (subject: string): string =>
  subject
    .replace(/^\s*((re|fwd?|aw|sv)\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();

/** The conversation reference the outbox appends to subjects (outbox.ts): `[#conv_…]`. */
const conversationTag = /\s*\[(?:#|SB-)[A-Za-z0-9_.:-]{1,100}\]\s*$/;

const displayName = (from: string): string | undefined => {
  const match = /^\s*"?([^"<]*?)"?\s*<[^>]+>\s*$/.exec(from);
  return match?.[1]?.trim() || undefined;
};

/**
 * The outbox's delivery through the support mailbox's Gmail account (`users.messages.send`): the
 * same outbox rows, Message-IDs and dispatcher as SMTP, so a retried send is still one email.
 *
 * - A reply to mail that came in through the Gmail channel goes into that Gmail thread: `threadId`
 *   from the ledger, In-Reply-To/References from the outbox, and the thread's subject (Gmail threads
 *   a reply only when the subject matches, so our `[#conv_…]` tag is dropped there). Other mail of
 *   the conversation (an invoice copy) keeps its subject and so its own Gmail thread.
 *   Replies carry `Auto-Submitted: auto-replied` (RFC 3834), so well-behaved responders stay quiet.
 * - Before sending, with a grant that can read the mailbox (gmail.modify), sent mail is searched for
 *   our Message-ID (`rfc822msgid:`): a send whose answer was lost after Gmail took it is found, not
 *   repeated. With `gmail.send` alone Gmail lets us read nothing, so such a send may be repeated once
 *   (at least once, as with SMTP; docs/connectors.md).
 * - The From address is the mailbox's own (Gmail sends only as the account or a verified alias),
 *   with the configured sender's display name.
 */
export function createGmailTransport(options: {
  client: GmailClient;
  connection: Pick<GoogleConnection, 'account'>;
  /** The client's grant can read sent mail (the channel's gmail.modify): check before re-sending. */
  canReadMailbox: boolean;
}): EmailTransport {
  const { client } = options;

  async function alreadySent(email: OutgoingEmail): Promise<{ id: string; threadId: string } | null> {
    if (!options.canReadMailbox) return null;
    const found = await client.listMessages({ q: `in:sent rfc822msgid:${email.messageId}`, maxResults: 1 });
    return found.messages[0] ?? null;
  }

  async function threadOf(email: OutgoingEmail, context?: SendContext) {
    const referenced = [email.inReplyTo, ...[...(email.references ?? [])].reverse()].filter(
      (id): id is string => !!id,
    );
    if (!context || referenced.length === 0) return null;
    const { rows } = await context.db.query<{
      thread_id: string;
      subject: string;
      rfc822_message_id: string;
    }>(
      `SELECT thread_id, subject, rfc822_message_id FROM gmail_messages
        WHERE rfc822_message_id = ANY($1::text[]) AND direction = 'inbound'
        ORDER BY created_at DESC`,
      [referenced],
    );
    // The most recent reference that is in Gmail (In-Reply-To first).
    for (const id of referenced) {
      const row = rows.find((candidate) => candidate.rfc822_message_id === id);
      if (row) return row;
    }
    return null;
  }

  async function recordSent(
    context: SendContext | undefined,
    account: string,
    email: OutgoingEmail,
    sent: { id: string; threadId: string },
    subject: string,
  ) {
    await context?.db.query(
      `INSERT INTO gmail_messages (gmail_message_id, account, thread_id, direction, rfc822_message_id, subject, outcome)
       VALUES ($1, $2, $3, 'outbound', $4, $5, 'sent') ON CONFLICT (gmail_message_id) DO NOTHING`,
      [sent.id, account, sent.threadId, email.messageId, subject.slice(0, 500)],
    );
  }

  return {
    kind: 'gmail',
    async send(email, context) {
      const account = (await options.connection.account())?.toLowerCase();
      if (!account) throw new Error('Gmail sending is configured but no Google account is connected');
      // Only a reply (its subject the thread's, once our conversation tag is off) goes into the Gmail
      // thread; a document (an invoice copy) keeps its own subject and starts its own.
      const referenced = await threadOf(email, context);
      const untagged = email.subject.replace(conversationTag, '');
      const thread =
        referenced && threadSubject(untagged) === threadSubject(referenced.subject) ? referenced : null;
      const subject = thread ? untagged : email.subject;
      const earlier = await alreadySent(email);
      if (earlier) {
        await recordSent(context, account, email, earlier, subject);
        return;
      }
      const name = displayName(email.from);
      const raw = await new MailComposer({
        from: name ? { name, address: account } : account,
        to: email.to,
        subject,
        text: email.text,
        ...(email.html ? { html: email.html } : {}),
        messageId: email.messageId,
        ...(email.inReplyTo ? { inReplyTo: email.inReplyTo } : {}),
        ...(email.references?.length ? { references: email.references } : {}),
        ...(email.inReplyTo ? { headers: { 'Auto-Submitted': 'auto-replied' } } : {}),
      })
        .compile()
        .build();
      const sent = await client.send(raw, thread?.thread_id);
      await recordSent(context, account, email, sent, subject);
    },
    async verify() {
      try {
        const account = await options.connection.account();
        if (!account) return { ok: false, detail: 'Gmail: no Google account is connected' };
        return { ok: true, detail: `Gmail sends as ${account}` };
      } catch (error) {
        return { ok: false, detail: `Gmail: ${(error as Error).message}` };
      }
    },
    close: () => {},
  };
}
