import { OAuth2Client } from 'google-auth-library';
import { z } from 'zod';

/** How a Pub/Sub push of Gmail notifications is authenticated (docs/connectors.md, "Gmail"). */
export interface GmailPushSettings {
  /** The `aud` the push subscription puts in its OIDC token (by default the endpoint URL). */
  audience: string;
  /** The service account the push subscription signs as (the token's verified `email`). */
  serviceAccountEmail: string;
  /** Google's signing certificates (tests: the fake's); default Google's own. */
  certsUrl?: string;
}

/** Why a push was refused (401: no or bad token; 403: a valid token from someone else). */
export class GmailPushRefused extends Error {
  override name = 'GmailPushRefused';
  constructor(
    readonly status: 401 | 403 | 400,
    message: string,
  ) {
    super(message);
  }
}

// https://cloud.google.com/pubsub/docs/push#receive_push — the message data is base64 JSON from Gmail:
// https://developers.google.com/gmail/api/guides/push#receiving_notifications
const pushBody = z.object({
  message: z.object({ data: z.string().max(10_000), messageId: z.string().optional() }),
  subscription: z.string().max(500).optional(),
});
const notification = z.object({
  emailAddress: z.string().max(320),
  historyId: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String),
});

export type GmailPushNotification = z.infer<typeof notification>;

/**
 * Verifies a Pub/Sub push request the way Google documents for authenticated push
 * (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions): the bearer token is a
 * Google-signed OIDC ID token (`OAuth2Client.verifyIdToken`: signature against Google's current
 * certificates, issuer, expiry) for our audience, whose verified `email` is the configured service
 * account. Then reads Gmail's notification from the message data. The notification only says
 * "something changed": it triggers the same history sync as the poll, so nothing in it is trusted
 * beyond which mailbox to sync.
 */
export function createGmailPushVerifier(settings: GmailPushSettings) {
  const oauth = new OAuth2Client(
    settings.certsUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: settings.certsUrl } } : {},
  );
  return async (authorization: string | undefined, body: unknown): Promise<GmailPushNotification> => {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) throw new GmailPushRefused(401, 'the push carries no bearer token');
    let email: string | undefined;
    let emailVerified: boolean | undefined;
    try {
      const ticket = await oauth.verifyIdToken({ idToken: token, audience: settings.audience });
      const payload = ticket.getPayload();
      email = payload?.email;
      emailVerified = payload?.email_verified;
    } catch {
      throw new GmailPushRefused(401, 'the push token does not verify');
    }
    if (!emailVerified || email?.toLowerCase() !== settings.serviceAccountEmail.toLowerCase())
      throw new GmailPushRefused(403, 'the push token was not issued to the configured service account');
    const parsed = pushBody.safeParse(body);
    if (!parsed.success) throw new GmailPushRefused(400, 'not a Pub/Sub push body');
    let data: unknown;
    try {
      data = JSON.parse(Buffer.from(parsed.data.message.data, 'base64').toString('utf8'));
    } catch {
      throw new GmailPushRefused(400, 'the Pub/Sub message data is not JSON');
    }
    const read = notification.safeParse(data);
    if (!read.success) throw new GmailPushRefused(400, 'not a Gmail notification');
    return read.data;
  };
}

export type GmailPushVerifier = ReturnType<typeof createGmailPushVerifier>;
