import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';

/** An inbound email reduced to what threading and the agent need. */
export interface ParsedInboundEmail {
  /** With angle brackets; derived from the raw bytes when the mail has none. */
  messageId: string;
  from: { address: string; name?: string };
  subject: string;
  /** The new text, quoted earlier messages and signature removed. */
  text: string;
  /** True when quoted text was removed. */
  quoteRemoved: boolean;
  inReplyTo?: string;
  /** Oldest first, as in the header. */
  references: string[];
  date?: Date;
  attachments: Array<{ filename?: string; contentType: string; size: number }>;
}

/** Parsing failed in a way the SMTP server answers with a permanent error. */
export type InboundParseResult =
  | { ok: true; email: ParsedInboundEmail }
  | { ok: false; responseCode: 550 | 554; message: string };

const quoteStarts = [
  /^On .{1,300}wrote:\s*$/, // Gmail, Apple Mail
  /^-{2,}\s*Original Message\s*-{2,}/i, // Outlook
  /^_{5,}\s*$/, // Outlook's rule above its "From:" block
  /^-- $/, // the signature delimiter
];

/** A quoted header block: "From: …" followed within a few lines by "Sent:" or "Date:". */
const isHeaderBlock = (lines: string[], index: number): boolean =>
  /^From:\s.+$/.test(lines[index]!) &&
  lines.slice(index + 1, index + 5).some((line) => /^(Sent|Date):\s/.test(line));

/**
 * Keeps only what the customer wrote this time: text up to the first quote introduction ("On …
 * wrote:", "-----Original Message-----", a From:/Sent: block, the "-- " signature line), without
 * ">"-quoted lines. Falls back to the whole text when that leaves nothing.
 */
export function stripQuotedReply(text: string): { text: string; quoteRemoved: boolean } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const kept: string[] = [];
  let removed = false;
  for (const [index, line] of lines.entries()) {
    if (quoteStarts.some((pattern) => pattern.test(line)) || isHeaderBlock(lines, index)) {
      removed = true;
      break;
    }
    if (/^\s*>/.test(line)) {
      removed = true;
      continue;
    }
    kept.push(line);
  }
  const stripped = kept.join('\n').trim();
  return stripped ? { text: stripped, quoteRemoved: removed } : { text: text.trim(), quoteRemoved: false };
}

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
    parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  } catch {
    return { ok: false, responseCode: 554, message: '5.6.0 Message could not be parsed' };
  }
  if (parsed.headers.size === 0)
    return { ok: false, responseCode: 554, message: '5.6.0 Message has no headers' };
  const sender = parsed.from?.value.find((address) => address.address);
  if (!sender?.address) return { ok: false, responseCode: 550, message: '5.1.7 Message has no From address' };

  const references = typeof parsed.references === 'string' ? [parsed.references] : (parsed.references ?? []);
  const body = parsed.text ?? '';
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
  const stripped = stripQuotedReply(body);
  return {
    ok: true,
    email: {
      messageId: parsed.messageId
        ? angle(parsed.messageId)
        : `<${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@inbound.switchboard.local>`,
      from: { address: sender.address.toLowerCase(), ...(sender.name ? { name: sender.name } : {}) },
      subject: parsed.subject ?? '',
      text: stripped.text,
      quoteRemoved: stripped.quoteRemoved,
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
    },
  };
}
