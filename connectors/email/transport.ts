import { constants } from 'node:fs';
import { access, chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type pg from 'pg';

/** One email ready to go out; the Message-ID is the outbox ledger's. */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
}

/**
 * What the dispatcher hands a transport beside the email: the transaction that holds the outbox
 * row while it is sent. A transport that keeps its own records (Gmail's thread and sent-mail ledger)
 * reads and writes them there, so they commit with the row's `sent` status (and PGlite's single
 * connection, held by that transaction, is not asked for twice).
 */
export interface SendContext {
  db: pg.ClientBase;
}

/**
 * Where queued emails are delivered: an SMTP server, `.eml` files in a local outbox folder, or the
 * support mailbox's Gmail account (connectors/google/gmail/transport.ts).
 */
export interface EmailTransport {
  readonly kind: 'smtp' | 'file' | 'gmail';
  /** Delivers one email; throws when the transport did not take it. */
  send(email: OutgoingEmail, context?: SendContext): Promise<void>;
  /** SMTP: connect and greet (`verify()`); file: the outbox folder is writable. */
  verify(): Promise<{ ok: true; detail: string } | { ok: false; detail: string }>;
  close(): void;
}

const mailOptions = (email: OutgoingEmail) => ({
  from: email.from,
  to: email.to,
  subject: email.subject,
  text: email.text,
  ...(email.html ? { html: email.html } : {}),
  messageId: email.messageId,
  ...(email.inReplyTo ? { inReplyTo: email.inReplyTo } : {}),
  ...(email.references?.length ? { references: email.references } : {}),
});

/** Hides the password of an SMTP URL in messages. */
const describeSmtpUrl = (url: string): string => url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');

/**
 * Delivers through SMTP (nodemailer). `smtp://user:pass@host:587`, or `smtps://` for TLS on
 * connect. On loopback test servers without TLS pass `ignoreTLS: true`.
 */
export function createSmtpTransport(options: {
  url: string;
  ignoreTLS?: boolean;
  timeoutMs?: number;
}): EmailTransport {
  const timeout = options.timeoutMs ?? 15_000;
  const transporter = nodemailer.createTransport({
    url: options.url,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(options.ignoreTLS ? { ignoreTLS: true } : {}),
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    kind: 'smtp',
    async send(email) {
      // https://nodemailer.com/usage/ (sendMail) and https://nodemailer.com/smtp/
      await transporter.sendMail(mailOptions(email));
    },
    async verify() {
      try {
        await transporter.verify();
        return { ok: true, detail: `SMTP ${describeSmtpUrl(options.url)} accepts connections` };
      } catch (error) {
        return { ok: false, detail: `SMTP ${describeSmtpUrl(options.url)}: ${(error as Error).message}` };
      }
    },
    close: () => transporter.close(),
  };
}

/** A Message-ID as a file name: `<abc@host>` → `abc@host.eml`. */
const fileNameFor = (messageId: string): string =>
  `${messageId.replace(/^<|>$/g, '').replace(/[^\w.@-]/g, '_')}.eml`;

/**
 * Writes each email as an RFC 5322 `.eml` file into `<dataDir>/outbox/` (the embedded default).
 * The file is named after the Message-ID, so a re-send after a crash overwrites instead of duplicating.
 */
export function createFileTransport(options: { dataDir: string }): EmailTransport {
  const folder = path.resolve(options.dataDir, 'outbox');
  // https://nodemailer.com/transports/stream/ — buffer: true gives the raw message as a Buffer.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'file',
    async send(email) {
      const info = await composer.sendMail(mailOptions(email));
      // Owner-only, like the master key: the messages carry one-time codes and payment-link tokens.
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await chmod(folder, 0o700);
      const target = path.join(folder, fileNameFor(email.messageId));
      const partial = `${target}.partial`;
      await writeFile(partial, info.message as Buffer, { mode: 0o600 });
      await chmod(partial, 0o600); // a partial file left by a crash keeps its old mode otherwise
      await rename(partial, target);
    },
    async verify() {
      try {
        await mkdir(folder, { recursive: true });
        await access(folder, constants.W_OK);
        return { ok: true, detail: `local outbox ${folder} is writable` };
      } catch (error) {
        return { ok: false, detail: `local outbox ${folder}: ${(error as Error).message}` };
      }
    },
    close: () => composer.close(),
  };
}

/** SMTP when a URL is configured, otherwise the local `.eml` outbox. */
export function createEmailTransport(options: { smtpUrl?: string; dataDir: string }): EmailTransport {
  return options.smtpUrl
    ? createSmtpTransport({ url: options.smtpUrl })
    : createFileTransport({ dataDir: options.dataDir });
}

/** The path the file transport writes a message to (for tests and the eval mailbox). */
export const emlPathFor = (dataDir: string, messageId: string): string =>
  path.join(path.resolve(dataDir, 'outbox'), fileNameFor(messageId));
