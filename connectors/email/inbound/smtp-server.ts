import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { parseInboundEmail } from './parse.ts';
import { type StoredInboundEmail, storeInboundEmail } from './store.ts';

/** What the agent/queue is told about an accepted inbound email. */
export interface InboundMessageEvent extends StoredInboundEmail {
  from: string;
  subject: string;
  text: string;
}

/** Settings of the inbound SMTP server. */
export interface InboundSmtpServerOptions {
  db: pg.Pool;
  /**
   * Called after the mail is stored, also for a redelivery (`duplicate: true`) so a turn lost to a
   * crash is not lost for good: key the work by `messageId` to run it once. Throwing answers 451,
   * and the sender retries.
   */
  onMessage: (event: InboundMessageEvent) => Promise<void> | void;
  /** Largest accepted message in bytes; bigger gets 552. Default 10 MiB. */
  maxBytes?: number;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Told about storage or onMessage failures (the sender got a 451). */
  onError?: (error: unknown) => void;
}

const smtpError = (responseCode: number, message: string): Error =>
  Object.assign(new Error(message), { responseCode });

/**
 * Accepts support mail over SMTP (smtp-server), parses it (mailparser), threads and stores it, then
 * hands it on. Without TLS or AUTH: it listens on loopback behind the MTA that faces the internet.
 */
export function createInboundSmtpServer(options: InboundSmtpServerOptions) {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const server = new SMTPServer({
    // https://nodemailer.com/extras/smtp-server/ — loopback: no STARTTLS, no AUTH (STACK.md).
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: maxBytes,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      let received = 0;
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= maxBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded || received > maxBytes) {
          callback(smtpError(552, `5.3.4 Message exceeds the maximum size of ${maxBytes} bytes`));
          return;
        }
        accept(Buffer.concat(chunks)).then(
          (reply) => callback(null, reply),
          (error: Error) => callback(error),
        );
      });
    },
  });

  async function accept(raw: Buffer): Promise<string> {
    const parsed = await parseInboundEmail(raw);
    if (!parsed.ok) throw smtpError(parsed.responseCode, parsed.message);
    let stored: StoredInboundEmail;
    try {
      stored = await storeInboundEmail(options.db, parsed.email);
      await options.onMessage({
        ...stored,
        from: parsed.email.from.address,
        subject: parsed.email.subject,
        text: parsed.email.text,
      });
    } catch (error) {
      options.onError?.(error);
      throw smtpError(451, '4.3.0 Temporary failure, please try again later');
    }
    return `2.0.0 Accepted as ${stored.emailMessageId}${stored.duplicate ? ' (already received)' : ''}`;
  }

  return {
    /** The underlying smtp-server instance. */
    server,
    /** Starts listening; resolves with the bound address. */
    listen(): Promise<{ host: string; port: number }> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          const address = server.server.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        });
      });
    },
    close(): Promise<void> {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The inbound server's interface. */
export type InboundSmtpServer = ReturnType<typeof createInboundSmtpServer>;
