import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { SmtpEnvelope } from './authenticate.ts';
import {
  type InboundMailOptions,
  type ReceivedInboundEmail,
  receiveInboundEmail,
  type StoredInboundEmail,
} from './receive.ts';
import type { MailAuthVerdict } from './verdict.ts';

/** What the agent/queue is told about an accepted inbound email. */
export interface InboundMessageEvent extends StoredInboundEmail {
  from: string;
  subject: string;
  text: string;
  /** How this delivery authenticated (also stored as the message's `mail_auth`, unless a duplicate). */
  mailAuth: MailAuthVerdict;
}

/** Settings of the inbound SMTP server. */
export interface InboundSmtpServerOptions extends InboundMailOptions {
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
  /**
   * Addresses of the MTAs in front trusted to name the original client with XCLIENT (e.g. an nginx
   * mail proxy) or XFORWARD (Postfix with `smtp_send_xforward_command = yes`): SPF needs its address
   * and HELO, not the relay's. Anyone else gets 550 for both commands. Default: none.
   */
  trustedRelayHosts?: string[];
}

const smtpError = (responseCode: number, message: string): Error =>
  Object.assign(new Error(message), { responseCode });

/**
 * The client as SPF sees it. smtp-server puts the original client a trusted relay named (XCLIENT or
 * XFORWARD ADDR) in `remoteAddress`, else it is the socket's peer; an XCLIENT HELO is kept apart,
 * since the relay greets again with its own name afterwards.
 */
function envelopeOf(session: SMTPServerSession): SmtpEnvelope {
  const known = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  const mailFrom = session.envelope.mailFrom;
  const ip = known(session.remoteAddress);
  const helo = known(session.xClient?.get('HELO')) ?? known(session.hostNameAppearsAs);
  return {
    ...(ip ? { ip } : {}),
    ...(helo ? { helo } : {}),
    ...(mailFrom ? { mailFrom: mailFrom.address } : {}),
  };
}

/**
 * Accepts support mail over SMTP (smtp-server), authenticates it (SPF, DKIM, DMARC with mailauth),
 * parses it (mailparser), threads and stores it, then hands it on. Without TLS or AUTH: it listens on
 * loopback behind the MTA that faces the internet, which names the real client with XCLIENT or XFORWARD. Mail that
 * can never be stored is refused for good (5xx); 451 only for what may pass later (database down).
 */
export function createInboundSmtpServer(options: InboundSmtpServerOptions) {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const relays = options.trustedRelayHosts?.length ? options.trustedRelayHosts : false;
  const server = new SMTPServer({
    // https://nodemailer.com/extras/smtp-server/ — loopback: no STARTTLS, no AUTH (docs/connectors.md).
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: maxBytes,
    logger: false,
    // Nothing here reads the client's reverse name, and a PTR lookup would only delay the greeting.
    disableReverseLookup: true,
    // smtp-server takes a list of trusted peers (its README, "Trusting XCLIENT and XFORWARD"); the
    // typings still say boolean.
    useXClient: relays as SMTPServerOptions['useXClient'],
    useXForward: relays as SMTPServerOptions['useXForward'],
    onData(stream, session, callback) {
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
        accept(Buffer.concat(chunks), envelopeOf(session)).then(
          (reply) => callback(null, reply),
          (error: Error) => callback(error),
        );
      });
    },
  });

  async function accept(raw: Buffer, envelope: SmtpEnvelope): Promise<string> {
    let received: ReceivedInboundEmail;
    try {
      received = await receiveInboundEmail(options.db, raw, envelope, options);
      if (received.ok) {
        await options.onMessage({
          ...received.stored,
          from: received.email.from.address,
          subject: received.email.subject,
          text: received.email.text,
          mailAuth: received.mailAuth,
        });
      }
    } catch (error) {
      options.onError?.(error);
      throw smtpError(451, '4.3.0 Temporary failure, please try again later');
    }
    if (!received.ok) throw smtpError(received.responseCode, received.message);
    const { stored } = received;
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
