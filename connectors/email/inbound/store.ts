import { createHash } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../../../db/database.ts';
import { type ParsedInboundEmail, subjectReferences } from './parse.ts';

/** Where an inbound email was stored. */
export interface StoredInboundEmail {
  conversationId: string;
  /** The messages row id. */
  messageId: string;
  /** The mail's Message-ID header. */
  emailMessageId: string;
  contactId: string | null;
  accountId: string | null;
  /** A new thread was started for it. */
  newConversation: boolean;
  /** This Message-ID was stored before (a redelivery): nothing new was written. */
  duplicate: boolean;
  /** How it was threaded. */
  threadedBy: 'in_reply_to' | 'subject_reference' | 'new_thread' | 'duplicate';
}

interface ConversationRow {
  id: string;
  contact_id: string | null;
}

/** Conversations that the mail's In-Reply-To / References point at, most recent reference first. */
async function conversationsByHeaders(
  client: pg.PoolClient,
  email: ParsedInboundEmail,
): Promise<ConversationRow[]> {
  const ids = [
    ...new Set([email.inReplyTo, ...[...email.references].reverse()].filter((id): id is string => !!id)),
  ];
  if (ids.length === 0) return [];
  const result = await client.query<ConversationRow & { rank: number }>(
    `WITH refs AS (SELECT id, ordinality AS rank FROM unnest($1::text[]) WITH ORDINALITY AS t(id)),
     hits AS (
       SELECT o.conversation_id AS id, refs.rank FROM email_outbox o JOIN refs ON refs.id = o.message_id
       UNION ALL
       SELECT m.conversation_id, refs.rank FROM messages m JOIN refs ON refs.id = m.client_message_id
       UNION ALL
       SELECT c.id, refs.rank FROM conversations c JOIN refs ON refs.id = c.email_thread_key
     )
     SELECT c.id, c.contact_id, min(hits.rank) AS rank FROM hits JOIN conversations c ON c.id = hits.id
     GROUP BY c.id, c.contact_id ORDER BY rank`,
    [ids],
  );
  return result.rows;
}

/**
 * A reference only joins a thread of the same sender: the conversation's contact is the contact of
 * the From address (for an unknown sender, an earlier mail in it came from that address). A guessed
 * Message-ID or subject tag cannot put text into someone else's conversation.
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
 * Stores an inbound email: threads it (In-Reply-To/References against our outbox and earlier
 * mails, then a `[#id]` / `[SB-id]` subject reference, else a new unverified email conversation)
 * and adds it as a customer message whose client_message_id is the Message-ID, so a redelivered
 * mail is stored once.
 */
export async function storeInboundEmail(db: pg.Pool, email: ParsedInboundEmail): Promise<StoredInboundEmail> {
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
      return {
        conversationId: known.rows[0].conversation_id,
        messageId: known.rows[0].id,
        emailMessageId: email.messageId,
        contactId: contact?.id ?? null,
        accountId: contact?.account_id ?? null,
        newConversation: false,
        duplicate: true,
        threadedBy: 'duplicate',
      };
    }

    let threadedBy: StoredInboundEmail['threadedBy'] = 'new_thread';
    let conversationId: string | null = null;
    const ignoredReferences: string[] = [];
    const pick = async (candidates: ConversationRow[], how: StoredInboundEmail['threadedBy']) => {
      for (const candidate of candidates) {
        if (conversationId) return;
        if (await sameSender(client, candidate, contact?.id ?? null, email.from.address)) {
          conversationId = candidate.id;
          threadedBy = how;
        } else ignoredReferences.push(candidate.id);
      }
    };
    await pick(await conversationsByHeaders(client, email), 'in_reply_to');
    const tagged = subjectReferences(email.subject);
    if (!conversationId && tagged.length > 0) {
      const rows = await client.query<ConversationRow>(
        'SELECT id, contact_id FROM conversations WHERE id = ANY($1::text[])',
        [tagged],
      );
      await pick(rows.rows, 'subject_reference');
    }

    const newConversation = conversationId === null;
    if (conversationId === null) {
      conversationId = `conv_${createHash('sha256').update(email.messageId).digest('hex').slice(0, 20)}`;
      await client.query(
        `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status, subject, email_thread_key)
         VALUES ($1, 'email', $2, $3, false, 'open', $4, $5)`,
        [
          conversationId,
          contact?.id ?? null,
          contact?.account_id ?? null,
          email.subject.slice(0, 500),
          email.messageId,
        ],
      );
    } else {
      // A reply reopens a finished conversation; anything in progress keeps its status.
      await client.query(
        `UPDATE conversations SET updated_at = now(),
           status = CASE WHEN status IN ('resolved', 'closed') THEN 'open' ELSE status END
         WHERE id = $1`,
        [conversationId],
      );
    }
    const metadata = {
      channel: 'email',
      from: email.from.address,
      ...(email.from.name ? { from_name: email.from.name } : {}),
      subject: email.subject,
      message_id: email.messageId,
      ...(email.inReplyTo ? { in_reply_to: email.inReplyTo } : {}),
      references: email.references,
      quote_removed: email.quoteRemoved,
      attachments: email.attachments,
      threaded_by: threadedBy,
      ...(ignoredReferences.length ? { ignored_thread_references: ignoredReferences } : {}),
    };
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, body, metadata, client_message_id)
       VALUES ($1, 'customer', $2, $3, $4) RETURNING id::text`,
      [conversationId, email.text, JSON.stringify(metadata), email.messageId],
    );
    return {
      conversationId,
      messageId: inserted.rows[0]!.id,
      emailMessageId: email.messageId,
      contactId: contact?.id ?? null,
      accountId: contact?.account_id ?? null,
      newConversation,
      duplicate: false,
      threadedBy,
    };
  });
}
