import type pg from 'pg';
import type { InboundMailOptions } from '../../email/inbound/receive.ts';
import type { EmailTransport } from '../../email/transport.ts';
import type { GoogleConnection } from '../connection.ts';
import { createGmailChannel, type GmailChannel } from './channel.ts';
import { createGmailClient, type GmailCallCounter } from './client.ts';
import { createGmailPushVerifier, type GmailPushSettings, type GmailPushVerifier } from './push.ts';
import { createGmailTransport } from './transport.ts';

export { createGmailChannel, type GmailChannel, gmailLabels } from './channel.ts';
export { createGmailClient, type GmailClient, HistoryExpiredError } from './client.ts';
export { createGmailPushVerifier, GmailPushRefused, type GmailPushVerifier } from './push.ts';
export { createGmailTransport } from './transport.ts';

/** How this deployment uses Gmail (`EMAIL_CHANNEL=gmail`, `EMAIL_SENDER=gmail`; config/api.ts). */
export interface GmailSettings {
  /** New mail to the support mailbox becomes conversations (reads with gmail.modify). */
  channel: boolean;
  /** The outbox delivers through Gmail instead of SMTP (gmail.modify with the channel, else gmail.send). */
  sender: boolean;
  /** The Google connection to use; default the deployment's Google Workspace connection. */
  connection?: GoogleConnection;
  /** In-process runner: poll the mailbox history this often (BullMQ: a repeatable job). Default 60 s; 0: never. */
  pollIntervalMs?: number;
  /** `projects/{project}/topics/{topic}` that `users.watch` publishes to; unset: poll only. */
  topicName?: string;
  /** How pushes to `POST /api/webhooks/gmail` are verified; unset: the endpoint refuses every push. */
  push?: GmailPushSettings;
  maxRawBytes?: number;
  maxAttachmentBytes?: number;
  /** Counts Gmail API calls by method (bench/gmail). */
  onCall?: GmailCallCounter;
}

/** The Gmail pieces a runtime wires in. */
export interface GmailRuntime {
  transport: EmailTransport | null;
  channel: GmailChannel | null;
  push: GmailPushVerifier | null;
}

/** Builds what the settings ask for on one Google connection. */
export function createGmailRuntime(
  settings: GmailSettings,
  deps: { connection: GoogleConnection; pool: pg.Pool; inboundMail: InboundMailOptions },
): GmailRuntime {
  const { connection } = deps;
  const timeoutMs = 20_000;
  const channelClient = settings.channel
    ? createGmailClient({
        connection,
        feature: 'gmail_channel',
        timeoutMs,
        ...(settings.onCall ? { onCall: settings.onCall } : {}),
      })
    : null;
  const transport = settings.sender
    ? createGmailTransport({
        // With the channel its gmail.modify grant also sends (and can look for a lost send first).
        client:
          channelClient ??
          createGmailClient({
            connection,
            feature: 'gmail_send',
            timeoutMs,
            ...(settings.onCall ? { onCall: settings.onCall } : {}),
          }),
        connection,
        canReadMailbox: channelClient !== null,
      })
    : null;
  const channel = channelClient
    ? createGmailChannel({
        pool: deps.pool,
        client: channelClient,
        mail: deps.inboundMail,
        ...(settings.maxRawBytes ? { maxRawBytes: settings.maxRawBytes } : {}),
        ...(settings.maxAttachmentBytes ? { maxAttachmentBytes: settings.maxAttachmentBytes } : {}),
      })
    : null;
  return {
    transport,
    channel,
    push: channel && settings.push ? createGmailPushVerifier(settings.push) : null,
  };
}
