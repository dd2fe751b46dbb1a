import { createHash } from 'node:crypto';
import type pg from 'pg';
import { type ParsedInboundEmail, subjectReferences } from '../connectors/email/inbound/parse.ts';
import type {
  RefusedThread,
  StoredInboundEmail,
  StoredMailHook,
  ThreadRefusal,
} from '../connectors/email/inbound/receive.ts';
import type { MailAuthVerdict } from '../connectors/email/inbound/verdict.ts';
import {
  checkReplyToken,
  type ReplyTokenCheck,
  type ReplyTokenKeys,
} from '../connectors/email/message-id.ts';
import { withTransaction } from '../db/database.ts';
import { maskOutstandingCodes } from '../db/one-time-codes.ts';

/** What storing needs besides the mail. */
export interface StoreInboundEmailContext {
  /** The authentication verdict (authenticate.ts), recorded as the message's `mail_auth`. */
  mailAuth: MailAuthVerdict;
  /** Verifies the reply tokens in In-Reply-To / References (the keys the outbox signs with). */
  replyTokens: ReplyTokenKeys;
  /** Called before commit with what was stored (or found stored before): a channel's own records. */
  inTransaction?: StoredMailHook;
}

interface ConversationRow {
  id: string;
  contact_id: string | null;
  account_id: string | null;
}

/** The Message-IDs the mail refers to, most recent first: In-Reply-To, then References newest first. */
const referencedIds = (email: ParsedInboundEmail): string[] => [
  ...new Set([email.inReplyTo, ...[...email.references].reverse()].filter((id): id is string => !!id)),
];

/**
 * The sender rule of joining: the conversation's contact is the contact of the From address (for a
 * conversation without a contact, an earlier mail in it came from that address).
 */
async function sameSender(
  client: pg.PoolClient,
  conversation: ConversationRow,
  contactId: string | null,
  from: string,
): Promise<boolean> {
  if (conversation.contact_id !== null) return conversation.contact_id === contactId;
  if (contactId !== null) return false;
  const earlier = await client.query(
    `SELECT 1 FROM messages WHERE conversation_id = $1 AND role = 'customer' AND metadata->>'from' = $2 LIMIT 1`,
    [conversation.id, from],
  );
  return (earlier.rowCount ?? 0) > 0;
}

/**
 * Conversations a mail names without proving anything: by a subject tag, or by a referenced
 * Message-ID of any mail in them (ours, the customer's, the thread's first). Used only to alert.
 */
async function namedConversations(
  client: pg.PoolClient,
  email: ParsedInboundEmail,
  references: string[],
): Promise<Map<string, RefusedThread['namedBy']>> {
  const named = new Map<string, RefusedThread['namedBy']>();
  const add = (id: string, how: RefusedThread['namedBy'][number]) => {
    const ways = named.get(id) ?? [];
    if (!ways.includes(how)) ways.push(how);
    named.set(id, ways);
  };
  if (references.length > 0) {
    const byReference = await client.query<{ id: string }>(
      `SELECT conversation_id AS id FROM email_outbox WHERE message_id = ANY($1::text[]) AND conversation_id IS NOT NULL
       UNION SELECT conversation_id FROM messages WHERE client_message_id = ANY($1::text[]) AND role = 'customer'
       UNION SELECT id FROM conversations WHERE email_thread_key = ANY($1::text[])`,
      [references],
    );
    for (const row of byReference.rows) add(row.id, 'references');
  }
  const tagged = subjectReferences(email.subject);
  if (tagged.length > 0) {
    const byTag = await client.query<{ id: string }>(
      'SELECT id FROM conversations WHERE id = ANY($1::text[])',
      [tagged],
    );
    for (const row of byTag.rows) add(row.id, 'subject_tag');
  }
  return named;
}

/**
 * Stores an inbound email. It joins an existing conversation only when both hold: its In-Reply-To or
 * References names one of our own outgoing Message-IDs (a reply token signed with our key, message-id.ts)
 * that is an `email_outbox` row of that very conversation, and its sender is that conversation's contact.
 * A subject tag or any other reference never joins. Otherwise it starts a new unverified email
 * conversation, and each conversation the mail named is alerted in `audit_log` (who, the verdict,
 * why). The message is stored with its `mail_auth` verdict and the Message-ID as client_message_id,
 * so a redelivered mail is stored once.
 */
export async function storeInboundEmail(
  db: pg.Pool,
  email: ParsedInboundEmail,
  context: StoreInboundEmailContext,
): Promise<StoredInboundEmail> {
  return withTransaction(db, async (client) => {
    // Two deliveries of one mail at the same moment: the second waits, then finds the first.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inbound-email:${email.messageId}`]);
    const contacts = await client.query<{ id: string; account_id: string }>(
      'SELECT id, account_id FROM contacts WHERE lower(email) = lower($1)',
      [email.from.address],
    );
    const contact = contacts.rows[0] ?? null;
    const known = await client.query<{ id: string; conversation_id: string }>(
      `SELECT id::text, conversation_id FROM messages WHERE client_message_id = $1 AND role = 'customer' LIMIT 1`,
      [email.messageId],
    );
    if (known.rows[0]) {
      const found: StoredInboundEmail = {
        conversationId: known.rows[0].conversation_id,
        messageId: known.rows[0].id,
        emailMessageId: email.messageId,
        contactId: contact?.id ?? null,
        accountId: contact?.account_id ?? null,
        newConversation: false,
        duplicate: true,
        threadedBy: 'duplicate',
        refusedThreads: [],
      };
      await context.inTransaction?.(client, found);
      return found;
    }

    const references = referencedIds(email);
    const checks = new Map<string, ReplyTokenCheck>(
      references.map((id) => [id, checkReplyToken(id, context.replyTokens)]),
    );
    const tokens = references.filter((id) => checks.get(id) === 'valid');
    // The conversations our genuine outgoing mail belongs to, in the order the mail names them.
    const tokenConversations: ConversationRow[] = [];
    if (tokens.length > 0) {
      const rows = await client.query<ConversationRow & { message_id: string }>(
        `SELECT o.message_id, c.id, c.contact_id, c.account_id
         FROM email_outbox o JOIN conversations c ON c.id = o.conversation_id
         WHERE o.message_id = ANY($1::text[])`,
        [tokens],
      );
      for (const token of tokens) {
        const row = rows.rows.find((candidate) => candidate.message_id === token);
        if (row && !tokenConversations.some((known) => known.id === row.id)) tokenConversations.push(row);
      }
    }
    let joined: ConversationRow | null = null;
    for (const candidate of tokenConversations) {
      if (await sameSender(client, candidate, contact?.id ?? null, email.from.address)) {
        joined = candidate;
        break;
      }
    }

    const named = await namedConversations(client, email, references);
    const refusedThreads: RefusedThread[] = [];
    for (const [conversationId, namedBy] of named) {
      if (conversationId === joined?.id) continue;
      const conversation =
        tokenConversations.find((row) => row.id === conversationId) ??
        (
          await client.query<ConversationRow>(
            'SELECT id, contact_id, account_id FROM conversations WHERE id = $1',
            [conversationId],
          )
        ).rows[0];
      if (!conversation) continue;
      const reasons: ThreadRefusal[] = [];
      if (!(await sameSender(client, conversation, contact?.id ?? null, email.from.address)))
        reasons.push('sender_mismatch');
      if (!tokenConversations.some((row) => row.id === conversationId)) {
        // Something shaped like our Message-ID that is forged, or genuine but from another conversation.
        const claimed = [...checks.values()].some((check) => check !== 'foreign');
        reasons.push(claimed ? 'invalid_reply_token' : 'no_reply_token');
      }
      refusedThreads.push({ conversationId, namedBy, reasons });
    }

    let conversationId: string;
    if (joined === null) {
      conversationId = `conv_${createHash('sha256').update(email.messageId).digest('hex').slice(0, 20)}`;
      await client.query(
        `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status, subject, email_thread_key)
         VALUES ($1, 'email', $2, $3, false, $4, $5, $6)`,
        [
          conversationId,
          contact?.id ?? null,
          contact?.account_id ?? null,
          // A machine's mail (auto-reply, bounce, our own) is kept for humans, not queued for anyone.
          email.loop ? 'closed' : 'open',
          email.subject.slice(0, 500),
          email.messageId,
        ],
      );
    } else {
      conversationId = joined.id;
      // A reply reopens a finished conversation (an auto-reply does not); anything in progress keeps its status.
      await client.query(
        `UPDATE conversations SET updated_at = now(),
           status = CASE WHEN status IN ('resolved', 'closed') AND NOT $2 THEN 'open' ELSE status END
         WHERE id = $1`,
        [conversationId, email.loop !== undefined],
      );
    }
    const threadedBy: StoredInboundEmail['threadedBy'] = joined ? 'reply_token' : 'new_thread';
    const metadata = {
      channel: 'email',
      from: email.from.address,
      ...(email.from.name ? { from_name: email.from.name } : {}),
      subject: email.subject,
      message_id: email.messageId,
      ...(email.inReplyTo ? { in_reply_to: email.inReplyTo } : {}),
      references: email.references,
      quote_removed: email.quoteRemoved,
      text_extraction: email.extraction,
      attachments: email.attachments,
      ...(email.loop ? { loop: email.loop } : {}),
      threaded_by: threadedBy,
      mail_auth: context.mailAuth,
      ...(refusedThreads.length
        ? { ignored_thread_references: refusedThreads.map((thread) => thread.conversationId) }
        : {}),
    };
    // A reply that answers an outstanding one-time code is stored with the code masked (db/one-time-codes.ts),
    // in the new text and in the whole mail kept for humans alike. Only the new text's codes count as
    // entered (`code_hashes`): the whole mail may quote the code we sent.
    const masked =
      joined === null
        ? { text: email.text, codeHashes: [] }
        : await maskOutstandingCodes(client, conversationId, email.text);
    const full =
      joined === null
        ? { text: email.fullText, codeHashes: [] }
        : await maskOutstandingCodes(client, conversationId, email.fullText);
    // The whole mail, for the console; the agent reads only `body` (the new text).
    const original = {
      full_text: full.text,
      ...(email.fullTextTruncated ? { full_text_truncated: true } : {}),
      ...(email.fromHtml ? { from_html: true } : {}),
    };
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, body, metadata, client_message_id, turn_status)
       VALUES ($1, 'customer', $2, $3, $4, $5) RETURNING id::text`,
      [
        conversationId,
        masked.text,
        JSON.stringify({
          ...metadata,
          email: original,
          ...(masked.codeHashes.length > 0 ? { code_hashes: masked.codeHashes } : {}),
        }),
        email.messageId,
        // A machine's mail owes no turn: 'done' before any turn, so it is never answered.
        email.loop ? 'done' : null,
      ],
    );
    // Only a mail that joined nothing is an alert: a reply in its own thread may quote other threads.
    if (joined === null) {
      for (const thread of refusedThreads) {
        await alertRefusedThread(client, thread, email, context.mailAuth, conversationId);
      }
    }
    const stored: StoredInboundEmail = {
      conversationId,
      messageId: inserted.rows[0]!.id,
      emailMessageId: email.messageId,
      contactId: contact?.id ?? null,
      accountId: contact?.account_id ?? null,
      newConversation: joined === null,
      duplicate: false,
      threadedBy,
      refusedThreads: joined === null ? refusedThreads : [],
    };
    await context.inTransaction?.(client, stored);
    return stored;
  });
}

/**
 * One `audit_log` row on the named conversation (so its audit trail shows the attempt): connector
 * `email`, operation `inbound.thread_refused`, outcome `refused`, error_kind the first reason; the
 * detail holds the sender, the Message-ID, the verdict, every reason and the conversation started.
 */
async function alertRefusedThread(
  client: pg.PoolClient,
  thread: RefusedThread,
  email: ParsedInboundEmail,
  mailAuth: MailAuthVerdict,
  startedConversationId: string,
): Promise<void> {
  await client.query(
    `INSERT INTO audit_log (conversation_id, actor, account_id, connector_id, operation, effect, args_hash, outcome,
       error_kind, latency_ms, detail)
     VALUES ($1, 'system', (SELECT account_id FROM conversations WHERE id = $1), 'email', 'inbound.thread_refused',
       'write', $2, 'refused', $3, 0, $4)`,
    [
      thread.conversationId,
      createHash('sha256').update(email.messageId).digest('hex'),
      thread.reasons[0] ?? null,
      JSON.stringify({
        sender: email.from.address,
        message_id: email.messageId,
        subject: email.subject.slice(0, 300),
        named_by: thread.namedBy,
        reasons: thread.reasons,
        mail_auth: mailAuth,
        started_conversation_id: startedConversationId,
      }),
    ],
  );
}
