import { gmail } from '@googleapis/gmail';
import { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import type { GoogleConnection, GoogleFeature } from '../connection.ts';

/** The parts of a gaxios error we read. */
interface HttpFailure {
  status?: number;
  name?: string;
  response?: { status?: number; headers?: Headers | Record<string, string>; data?: unknown };
}

const statusOf = (error: unknown): number | undefined => {
  const failure = (error ?? {}) as HttpFailure;
  return failure.response?.status ?? (typeof failure.status === 'number' ? failure.status : undefined);
};

const headerOf = (headers: Headers | Record<string, string> | undefined, name: string) => {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string>;
  return record[name] ?? record[name.toLowerCase()];
};

const reasonOf = (data: unknown): string | undefined => {
  const errors = (data as { error?: { errors?: Array<{ reason?: unknown }> } } | null)?.error?.errors;
  const reason = Array.isArray(errors) ? errors[0]?.reason : undefined;
  return typeof reason === 'string' ? reason : undefined;
};

/**
 * A failed Gmail call as a ConnectorError (https://developers.google.com/gmail/api/guides/handle-errors):
 * 401 auth_expired, 429 and 403 rate limits rate_limited (with Retry-After), 5xx and no answer at all
 * transient, 403 otherwise forbidden (a grant without the scope), 404 not_found, 400 invalid_input.
 */
export function mapGmailError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const failure = (error ?? {}) as HttpFailure;
  const status = statusOf(error);
  const reason = reasonOf(failure.response?.data);
  if (status === undefined) {
    const aborted = failure.name === 'AbortError' || failure.name === 'TimeoutError';
    return new ConnectorError('transient', aborted ? 'Gmail request timed out' : 'Gmail unreachable', {
      cause: error,
    });
  }
  const detail = `Gmail ${status}${reason ? ` ${reason}` : ''}`;
  if (status === 401)
    return new ConnectorError('auth_expired', `${detail}: access token rejected`, { cause: error });
  if (
    status === 429 ||
    (status === 403 && ['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded'].includes(reason ?? ''))
  ) {
    const retryAfter = headerOf(failure.response?.headers, 'retry-after');
    return new ConnectorError('rate_limited', `${detail}: rate limited`, {
      cause: error,
      ...(retryAfter && /^\d+$/.test(retryAfter) ? { retryAfterSeconds: Number(retryAfter) } : {}),
    });
  }
  if (status >= 500) return new ConnectorError('transient', `${detail}: server error`, { cause: error });
  if (status === 400)
    return new ConnectorError('invalid_input', `${detail}: request rejected`, { cause: error });
  if (status === 403) return new ConnectorError('forbidden', `${detail}: access denied`, { cause: error });
  if (status === 404) return new ConnectorError('not_found', `${detail}: not found`, { cause: error });
  if (status === 409) return new ConnectorError('conflict', `${detail}: conflict`, { cause: error });
  return new ConnectorError('permanent', `${detail}: unexpected response`, { cause: error });
}

// Only the fields we read; anything else in Gmail's answers is ignored.
const minimalMessage = z.object({
  id: z.string().min(1),
  threadId: z.string().min(1),
  labelIds: z.array(z.string()).default([]),
});
export type GmailMessageRef = z.infer<typeof minimalMessage>;

export interface GmailPart {
  partId?: string | undefined;
  mimeType?: string | undefined;
  filename?: string | undefined;
  headers?: Array<{ name: string; value: string }> | undefined;
  body?:
    | { size?: number | undefined; data?: string | undefined; attachmentId?: string | undefined }
    | undefined;
  parts?: GmailPart[] | undefined;
}
const partSchema: z.ZodType<GmailPart> = z.lazy(() =>
  z.object({
    partId: z.string().optional(),
    mimeType: z.string().optional(),
    filename: z.string().optional(),
    headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    body: z
      .object({
        size: z.number().optional(),
        data: z.string().optional(),
        attachmentId: z.string().optional(),
      })
      .optional(),
    parts: z.array(partSchema).optional(),
  }),
);
const fullMessage = minimalMessage.extend({
  historyId: z.string().optional(),
  sizeEstimate: z.number().int().nonnegative().default(0),
  payload: partSchema.optional(),
  raw: z.string().optional(),
});
export type GmailMessage = z.infer<typeof fullMessage>;

const historyPage = z.object({
  history: z
    .array(
      z.object({
        id: z.string(),
        messagesAdded: z.array(z.object({ message: minimalMessage })).optional(),
        labelsAdded: z.array(z.object({ message: minimalMessage, labelIds: z.array(z.string()) })).optional(),
      }),
    )
    .default([]),
  nextPageToken: z.string().optional(),
  historyId: z.string().regex(/^\d+$/),
});
export type GmailHistoryPage = z.infer<typeof historyPage>;

const messageList = z.object({
  messages: z.array(z.object({ id: z.string(), threadId: z.string() })).default([]),
  nextPageToken: z.string().optional(),
});
const profile = z.object({ emailAddress: z.string(), historyId: z.string().regex(/^\d+$/) });
const watchAnswer = z.object({ historyId: z.string().regex(/^\d+$/), expiration: z.string().regex(/^\d+$/) });
const labelList = z.object({
  labels: z.array(z.object({ id: z.string(), name: z.string() })).default([]),
});
const label = z.object({ id: z.string(), name: z.string() });
const attachment = z.object({ size: z.number().optional(), data: z.string() });

/** `history.list` refused the start id: Gmail keeps history about a week; a full resync is needed. */
export class HistoryExpiredError extends Error {
  override name = 'HistoryExpiredError';
}

/** Counts of calls by method, for measurements (bench/gmail). */
export type GmailCallCounter = (method: string) => void;

/**
 * The only module that talks to the Gmail API: a bearer token from the Google connection per call
 * (the feature's narrowest scope), one retry with a fresh token after a 401 (the token is reported
 * with `invalidate`), errors mapped to ConnectorError, answers parsed with zod. Every other retry is
 * the job's, so gaxios' own retry is off.
 */
export function createGmailClient(options: {
  connection: GoogleConnection;
  feature: Extract<GoogleFeature, 'gmail_channel' | 'gmail_send'>;
  timeoutMs?: number;
  onCall?: GmailCallCounter;
}) {
  const api = gmail({ version: 'v1', rootUrl: options.connection.rootUrl });
  const timeout = options.timeoutMs ?? 20_000;

  async function call<T>(
    method: string,
    schema: z.ZodType<T> | null,
    request: (init: {
      headers: Record<string, string>;
      retry: false;
      timeout: number;
    }) => Promise<{ data: unknown }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token = await options.connection.accessToken(options.feature);
      options.onCall?.(method);
      let data: unknown;
      try {
        data = (await request({ headers: { Authorization: `Bearer ${token}` }, retry: false, timeout })).data;
      } catch (error) {
        if (statusOf(error) === 401) {
          options.connection.invalidate(token);
          if (attempt === 1) continue;
        }
        throw mapGmailError(error);
      }
      if (!schema) return undefined as T;
      const parsed = schema.safeParse(data);
      if (!parsed.success)
        throw new ConnectorError('transient', `Gmail ${method} returned a malformed answer`);
      return parsed.data;
    }
  }

  const userId = 'me';
  return {
    /** The mailbox address and its current history id. */
    profile: () => call('users.getProfile', profile, (init) => api.users.getProfile({ userId }, init)),

    /** Starts (or renews) push notifications of the mailbox's INBOX to a Pub/Sub topic. */
    watch: (topicName: string) =>
      call('users.watch', watchAnswer, (init) =>
        api.users.watch(
          { userId, requestBody: { topicName, labelIds: ['INBOX'], labelFilterBehavior: 'include' } },
          init,
        ),
      ),

    stop: () => call('users.stop', null, (init) => api.users.stop({ userId }, init)),

    /** One page of history after `startHistoryId`; throws HistoryExpiredError on Gmail's 404. */
    async history(startHistoryId: string, pageToken?: string): Promise<GmailHistoryPage> {
      try {
        return await call('users.history.list', historyPage, (init) =>
          api.users.history.list(
            {
              userId,
              startHistoryId,
              historyTypes: ['messageAdded', 'labelAdded'],
              maxResults: 500,
              ...(pageToken ? { pageToken } : {}),
            },
            init,
          ),
        );
      } catch (error) {
        if (error instanceof ConnectorError && error.kind === 'not_found')
          throw new HistoryExpiredError(`Gmail history from ${startHistoryId} is no longer available`);
        throw error;
      }
    },

    listMessages: (query: { q?: string; labelIds?: string[]; maxResults?: number; pageToken?: string }) =>
      call('users.messages.list', messageList, (init) =>
        api.users.messages.list(
          {
            userId,
            ...(query.q ? { q: query.q } : {}),
            ...(query.labelIds ? { labelIds: query.labelIds } : {}),
            maxResults: query.maxResults ?? 100,
            ...(query.pageToken ? { pageToken: query.pageToken } : {}),
          },
          init,
        ),
      ),

    getMessage: (id: string, format: 'full' | 'raw' | 'metadata' | 'minimal') =>
      call('users.messages.get', fullMessage, (init) => api.users.messages.get({ userId, id, format }, init)),

    getAttachment: (messageId: string, id: string) =>
      call('users.messages.attachments.get', attachment, (init) =>
        api.users.messages.attachments.get({ userId, messageId, id }, init),
      ),

    /** Sends raw RFC 822 bytes, in `threadId` when given. */
    send: (raw: Buffer, threadId?: string) =>
      call('users.messages.send', minimalMessage, (init) =>
        api.users.messages.send(
          { userId, requestBody: { raw: raw.toString('base64url'), ...(threadId ? { threadId } : {}) } },
          init,
        ),
      ),

    modify: (id: string, addLabelIds: string[], removeLabelIds: string[] = []) =>
      call('users.messages.modify', minimalMessage, (init) =>
        api.users.messages.modify({ userId, id, requestBody: { addLabelIds, removeLabelIds } }, init),
      ),

    listLabels: () => call('users.labels.list', labelList, (init) => api.users.labels.list({ userId }, init)),

    createLabel: (name: string) =>
      call('users.labels.create', label, (init) =>
        api.users.labels.create(
          { userId, requestBody: { name, labelListVisibility: 'labelShow', messageListVisibility: 'show' } },
          init,
        ),
      ),
  };
}

export type GmailClient = ReturnType<typeof createGmailClient>;
