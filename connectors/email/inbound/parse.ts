import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { htmlMailToText } from './html-text.ts';
import { loopReasonOfHeaders, type MailLoopReason } from './mail-loop.ts';
import { extractReplyText, type ReplyText } from './reply-text.ts';

/** An inbound email reduced to what threading and the agent need. */
export interface ParsedInboundEmail {
  /** With angle brackets; derived from the raw bytes when the mail has none. */
  messageId: string;
  from: { address: string; name?: string };
  subject: string;
  /** The new text, quoted earlier messages and signature removed (reply-text.ts): what the agent reads. */
  text: string;
  /** True when quoted text was removed. */
  quoteRemoved: boolean;
  /**
   * How `text` was found: the parser's reply, the whole mail when it found none, or the subject for a
   * mail without any text (only attachments, or HTML with nothing readable).
   */
  extraction: ReplyText['extraction'] | 'subject';
  /**
   * The whole body as text, for humans (the console): the text/plain part, else the sanitised HTML
   * part as text. Cut at `maxFullTextCharacters`.
   */
  fullText: string;
  /** True when `fullText` was cut. */
  fullTextTruncated: boolean;
  /** The body came from the HTML part (the mail had no text/plain part). */
  fromHtml: boolean;
  inReplyTo?: string;
  /** Oldest first, as in the header. */
  references: string[];
  date?: Date;
  attachments: Array<{ filename?: string; contentType: string; size: number }>;
  /** Set when the mail is machine-made (an auto-reply, a bounce, our own mail): it is never answered. */
  loop?: MailLoopReason;
}

/** Parsing failed in a way the SMTP server answers with a permanent error. */
export type InboundParseResult =
  | { ok: true; email: ParsedInboundEmail }
  | { ok: false; responseCode: 550 | 554; message: string };

/** How much of a mail's text is kept for humans beside the new text (`fullText`). */
export const maxFullTextCharacters = 200_000;

/** Conversation references in a subject: `[#conv_123]` or `[SB-conv_123]`. */
export function subjectReferences(subject: string): string[] {
  return [...subject.matchAll(/\[(?:#|SB-)([A-Za-z0-9_.:-]{1,100})\]/g)].map((match) => match[1]!);
}

const angle = (id: string): string => (id.startsWith('<') ? id : `<${id}>`);

/** The header section of raw bytes: up to the first empty line (all of it when there is none). */
function headerSection(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf, lf].filter((index) => index >= 0);
  return ends.length ? raw.subarray(0, Math.min(...ends)) : raw;
}

/**
 * Why PostgreSQL could not store these strings, or null: text and jsonb refuse U+0000, and a lone
 * UTF-16 surrogate (which a decoded UTF-16 encoded-word can produce) has no UTF-8 form. Such mail
 * fails the same way on every delivery, so it is refused for good rather than retried.
 */
function unstorable(values: Array<string | undefined>): Extract<InboundParseResult, { ok: false }> | null {
  const present = values.filter((value): value is string => value !== undefined);
  if (present.some((value) => value.includes('\u0000')))
    return { ok: false, responseCode: 554, message: '5.6.0 Message contains a NUL byte' };
  if (present.some((value) => !value.isWellFormed()))
    return { ok: false, responseCode: 554, message: '5.6.0 Message text is not valid Unicode' };
  return null;
}

/**
 * Parses raw RFC 5322 bytes. No headers at all → 554; no From address → 550; a NUL byte in the
 * headers or in any decoded text we keep, or text without a UTF-8 form → 554.
 */
export async function parseInboundEmail(raw: Buffer): Promise<InboundParseResult> {
  if (headerSection(raw).includes(0))
    return { ok: false, responseCode: 554, message: '5.6.0 Message contains a NUL byte' };
  let parsed: Awaited<ReturnType<typeof simpleParser>>;
  try {
    // HTML becomes text through our own sanitising conversion (html-text.ts), not mailparser's.
    parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipHtmlToText: true });
  } catch {
    return { ok: false, responseCode: 554, message: '5.6.0 Message could not be parsed' };
  }
  if (parsed.headers.size === 0)
    return { ok: false, responseCode: 554, message: '5.6.0 Message has no headers' };
  const sender = parsed.from?.value.find((address) => address.address);
  if (!sender?.address) return { ok: false, responseCode: 550, message: '5.1.7 Message has no From address' };

  const loop = loopReasonOfHeaders(parsed.headers, sender.address);
  const references = typeof parsed.references === 'string' ? [parsed.references] : (parsed.references ?? []);
  const fromHtml = !parsed.text?.trim() && typeof parsed.html === 'string';
  let body = parsed.text ?? '';
  if (fromHtml) {
    try {
      body = htmlMailToText(parsed.html as string);
    } catch {
      // The same markup fails on every delivery: refused for good, not retried.
      return { ok: false, responseCode: 554, message: '5.6.0 Message HTML could not be read' };
    }
  }
  const refused = unstorable([
    parsed.messageId,
    sender.address,
    sender.name,
    parsed.subject,
    body,
    parsed.inReplyTo,
    ...references,
    ...parsed.attachments.flatMap((attachment) => [attachment.filename, attachment.contentType]),
  ]);
  if (refused) return refused;
  const reply = extractReplyText(body);
  const fullText = body.replace(/\r\n?/g, '\n').trim();
  return {
    ok: true,
    email: {
      messageId: parsed.messageId
        ? angle(parsed.messageId)
        : `<${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@inbound.switchboard.local>`,
      from: { address: sender.address.toLowerCase(), ...(sender.name ? { name: sender.name } : {}) },
      subject: parsed.subject ?? '',
      // Never an empty customer message: a mail with no text is read by its subject.
      text: reply.text || parsed.subject?.trim() || '(no text and no subject)',
      quoteRemoved: reply.quoteRemoved,
      extraction: reply.text ? reply.extraction : 'subject',
      fullText: fullText.slice(0, maxFullTextCharacters),
      fullTextTruncated: fullText.length > maxFullTextCharacters,
      fromHtml,
      ...(parsed.inReplyTo ? { inReplyTo: angle(parsed.inReplyTo.trim().split(/\s+/)[0]!) } : {}),
      references: references
        .flatMap((reference) => reference.trim().split(/\s+/))
        .filter(Boolean)
        .map(angle),
      ...(parsed.date ? { date: parsed.date } : {}),
      attachments: parsed.attachments.map((attachment) => ({
        ...(attachment.filename ? { filename: attachment.filename } : {}),
        contentType: attachment.contentType,
        size: attachment.size,
      })),
      ...(loop ? { loop } : {}),
    },
  };
}
