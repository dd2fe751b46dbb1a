import type pg from 'pg';
import { checkReplyToken, type ReplyTokenKeys } from '../message-id.ts';
import { authenticateInboundEmail, type MailAuthOptions, type SmtpEnvelope } from './authenticate.ts';
import { type ParsedInboundEmail, parseInboundEmail } from './parse.ts';
import type { MailAuthVerdict } from './verdict.ts';

/** Why a mail that named a conversation was not joined to it. */
export type ThreadRefusal = 'sender_mismatch' | 'no_reply_token' | 'invalid_reply_token';

/** A conversation the mail named (subject tag or a referenced Message-ID) but was not joined to. */
export interface RefusedThread {
  conversationId: string;
  namedBy: Array<'subject_tag' | 'references'>;
  reasons: ThreadRefusal[];
}

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
  /**
   * How it was threaded: `reply_token` joined the conversation of one of our outgoing mails it
   * replies to; `new_thread` started one; `duplicate` found the earlier delivery.
   */
  threadedBy: 'reply_token' | 'new_thread' | 'duplicate';
  /** Conversations the mail named but was not joined to (each also written to `audit_log`). */
  refusedThreads: RefusedThread[];
}

/**
 * Stores an authenticated mail in its conversation (threading it, or starting one): the owner of
 * conversations does this (conversations/email-intake.ts `storeInboundEmail`), so the email channel
 * never writes a conversation itself.
 */
export type InboundEmailStore = (
  db: pg.Pool,
  email: ParsedInboundEmail,
  context: { mailAuth: MailAuthVerdict; replyTokens: ReplyTokenKeys; inTransaction?: StoredMailHook },
) => Promise<StoredInboundEmail>;

/**
 * Runs in the transaction that stores the mail (or finds it stored before), so what a channel
 * records about it (the Gmail channel's ledger of message ids) commits with the message or not at all.
 */
export type StoredMailHook = (client: pg.PoolClient, stored: StoredInboundEmail) => Promise<void>;

/** What receiving mail needs, wherever it arrives (the SMTP server, the `email.inbound` job). */
export interface InboundMailOptions extends MailAuthOptions {
  /** The keys the outbox signs reply tokens with (connectors/email/message-id.ts `replyTokenKeysFrom`). */
  replyTokens: ReplyTokenKeys;
  store: InboundEmailStore;
}

/** A received mail: stored, or refused for good with the SMTP reply that says why. */
export type ReceivedInboundEmail =
  | { ok: true; email: ParsedInboundEmail; mailAuth: MailAuthVerdict; stored: StoredInboundEmail }
  | { ok: false; responseCode: 550 | 554; message: string };

/**
 * A database error the same mail would meet on every delivery: a data exception (class 22, e.g.
 * bytes the encoding refuses) or a program limit (class 54). Anything else — the database down, a
 * lost connection, a deadlock — may pass on a retry.
 */
export function isPermanentStorageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

/**
 * Parses, authenticates and stores one raw mail. Returns `ok: false` for mail that can never be
 * stored (unparseable, no From, a NUL byte, text without a UTF-8 form, data the database refuses);
 * throws for a failure that may pass (the caller answers 451 or retries the job).
 */
export async function receiveInboundEmail(
  db: pg.Pool,
  raw: Buffer,
  envelope: SmtpEnvelope,
  options: InboundMailOptions,
  inTransaction?: StoredMailHook,
): Promise<ReceivedInboundEmail> {
  const parsed = await parseInboundEmail(raw);
  if (!parsed.ok) return parsed;
  // Our own sent mail coming back, or a bounce (null envelope sender): stored for humans, never answered.
  if (!parsed.email.loop && checkReplyToken(parsed.email.messageId, options.replyTokens) === 'valid')
    parsed.email.loop = 'own_mail';
  if (!parsed.email.loop && envelope.mailFrom === '') parsed.email.loop = 'bounce';
  const mailAuth = await authenticateInboundEmail(raw, parsed.email.from.address, envelope, options);
  try {
    const stored = await options.store(db, parsed.email, {
      mailAuth,
      replyTokens: options.replyTokens,
      ...(inTransaction ? { inTransaction } : {}),
    });
    return { ok: true, email: parsed.email, mailAuth, stored };
  } catch (error) {
    if (isPermanentStorageError(error))
      return { ok: false, responseCode: 554, message: '5.6.0 Message content cannot be stored' };
    throw error;
  }
}
