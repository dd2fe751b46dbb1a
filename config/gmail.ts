import { z } from 'zod';

/**
 * Gmail as the email channel and sender (connectors/google/gmail/, docs/connectors.md "Gmail"). The
 * Google account itself is the Google Workspace connection (GOOGLE_OAUTH_* and /admin → Google).
 */
export const gmailConfigShape = {
  /** `gmail`: support mail is read from the connected Gmail mailbox; `smtp` (default): the inbound SMTP server. */
  EMAIL_CHANNEL: z.enum(['smtp', 'gmail']).default('smtp'),
  /** `gmail`: the outbox sends through the connected Gmail account; `smtp` (default): SMTP_URL / local files. */
  EMAIL_SENDER: z.enum(['smtp', 'gmail']).default('smtp'),
  /** How often the mailbox history is polled (the fallback when push is not set up or a push is lost). */
  GMAIL_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /** `projects/{project}/topics/{topic}` Gmail publishes mailbox changes to (`users.watch`); unset: poll only. */
  GMAIL_PUBSUB_TOPIC: z
    .string()
    .regex(/^projects\/[^/]+\/topics\/[^/]+$/, 'must be projects/{project}/topics/{topic}')
    .optional(),
  /** The audience of the push subscription's OIDC token (usually the endpoint URL). */
  GMAIL_PUSH_AUDIENCE: z.string().min(1).max(2000).optional(),
  /** The service account the push subscription authenticates as. */
  GMAIL_PUSH_SERVICE_ACCOUNT: z.email().optional(),
};

type GmailConfig = z.output<z.ZodObject<typeof gmailConfigShape>>;

/** The settings the runtime's Gmail wiring takes (connectors/google/gmail `GmailSettings`). */
export interface GmailConfigSettings {
  channel: boolean;
  sender: boolean;
  pollIntervalMs: number;
  topicName?: string;
  push?: { audience: string; serviceAccountEmail: string };
}

/** The runtime's Gmail settings, or undefined when neither the channel nor the sender is Gmail. */
export function gmailSettingsOf(config: GmailConfig): GmailConfigSettings | undefined {
  if (config.EMAIL_CHANNEL !== 'gmail' && config.EMAIL_SENDER !== 'gmail') return undefined;
  const push =
    config.GMAIL_PUSH_AUDIENCE && config.GMAIL_PUSH_SERVICE_ACCOUNT
      ? { audience: config.GMAIL_PUSH_AUDIENCE, serviceAccountEmail: config.GMAIL_PUSH_SERVICE_ACCOUNT }
      : undefined;
  return {
    channel: config.EMAIL_CHANNEL === 'gmail',
    sender: config.EMAIL_SENDER === 'gmail',
    pollIntervalMs: config.GMAIL_POLL_INTERVAL_SECONDS * 1000,
    ...(config.GMAIL_PUBSUB_TOPIC ? { topicName: config.GMAIL_PUBSUB_TOPIC } : {}),
    ...(push ? { push } : {}),
  };
}
