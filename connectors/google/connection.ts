import { ConnectorError } from '../core/errors.ts';
import type { CredentialStatus } from '../core/health.ts';

/**
 * One Google Workspace connection shared by every Google feature (Gmail channel and sender, Calendar,
 * Drive knowledge sync). How it was made — the admin's OAuth consent (authorization code + PKCE,
 * offline access, refresh token in the vault) or a service account with domain-wide delegation — is
 * the owner's business (`connectors/google/auth/`); features only ask for a token for what they do.
 */

/** What a feature does with Google; each asks for the narrowest scopes that allow it. */
export type GoogleFeature = 'gmail_channel' | 'gmail_send' | 'calendar' | 'drive';

/**
 * The scopes each feature needs (https://developers.google.com/identity/protocols/oauth2/scopes).
 * `gmail.modify` reads the support mailbox, labels and sends in its threads; `gmail.send` only sends
 * (confirmation emails when the channel is not wanted); Drive is read-only.
 */
export const googleFeatureScopes: Record<GoogleFeature, readonly string[]> = {
  gmail_channel: ['https://www.googleapis.com/auth/gmail.modify'],
  gmail_send: ['https://www.googleapis.com/auth/gmail.send'],
  calendar: [
    'https://www.googleapis.com/auth/calendar.events',
    'https://www.googleapis.com/auth/calendar.freebusy',
  ],
  drive: ['https://www.googleapis.com/auth/drive.readonly'],
};

export const googleFeatures = Object.keys(googleFeatureScopes) as GoogleFeature[];

/** Scopes that also cover a feature (a broader grant is accepted; a narrower one is not). */
const coveringScopes: Partial<Record<string, readonly string[]>> = {
  'https://www.googleapis.com/auth/gmail.send': [
    'https://www.googleapis.com/auth/gmail.modify',
    'https://mail.google.com/',
  ],
  'https://www.googleapis.com/auth/gmail.modify': ['https://mail.google.com/'],
  'https://www.googleapis.com/auth/calendar.events': ['https://www.googleapis.com/auth/calendar'],
  'https://www.googleapis.com/auth/calendar.freebusy': ['https://www.googleapis.com/auth/calendar'],
  'https://www.googleapis.com/auth/drive.readonly': ['https://www.googleapis.com/auth/drive'],
};

/** The features a set of granted scopes allows. */
export function featuresGranted(scopes: Iterable<string>): GoogleFeature[] {
  const granted = new Set(scopes);
  const has = (scope: string) =>
    granted.has(scope) || (coveringScopes[scope] ?? []).some((s) => granted.has(s));
  return googleFeatures.filter((feature) => googleFeatureScopes[feature].every(has));
}

/** The scopes to ask for when an admin connects the features they chose (always sorted, no repeats). */
export function scopesFor(features: Iterable<GoogleFeature>): string[] {
  return [...new Set([...features].flatMap((feature) => googleFeatureScopes[feature]))].sort();
}

export interface GoogleConnection {
  /** Root of Google's REST APIs, ending with a slash (`https://www.googleapis.com/`; a fake in tests). */
  readonly rootUrl: string;
  /**
   * An access token valid now whose grant covers `feature`. Throws `ConnectorError` `auth_expired`
   * (not connected, or the refresh token was revoked: reconnect) or `forbidden` (connected without
   * that feature's scopes). Never logs or returns a refresh token.
   */
  accessToken(feature: GoogleFeature): Promise<string>;
  /** Call on a 401 with the refused token: the next `accessToken` refreshes (single-flight). */
  invalidate(token: string): void;
  /** Features the current grant covers ([] when not connected). */
  features(): Promise<GoogleFeature[]>;
  /** The connected Google account's address (the support mailbox), or null when not connected. */
  account(): Promise<string | null>;
  /** For health checks and the admin page: `invalid` with a reason after a revoked refresh token. */
  status(): Promise<CredentialStatus>;
}

/**
 * A connection with a fixed token and grant, for tests and short trials (the fakes accept the token);
 * `invalidate` is recorded so tests can see a 401 was reported.
 */
export function staticGoogleConnection(options: {
  rootUrl: string;
  accessToken: string;
  features?: GoogleFeature[];
  account?: string;
}): GoogleConnection & { invalidated: string[] } {
  const features = options.features ?? googleFeatures;
  const invalidated: string[] = [];
  return {
    rootUrl: options.rootUrl.endsWith('/') ? options.rootUrl : `${options.rootUrl}/`,
    invalidated,
    async accessToken(feature) {
      if (!features.includes(feature))
        throw new ConnectorError('forbidden', `the Google connection was not granted ${feature}`, {
          retryable: false,
        });
      return options.accessToken;
    },
    invalidate(token) {
      invalidated.push(token);
    },
    features: async () => features,
    account: async () => options.account ?? null,
    status: async () => ({ state: 'ok' }),
  };
}
