import { ConnectorError } from '../../core/errors.ts';
import type { ZendeskAuth } from './transport.ts';

/** Reads a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Zendesk's error body: `{ error, description }`, `{ error: 'RecordInvalid', details }`, or `{ error: { title, message } }`. */
function describeError(text: string): { code: string; message: string } {
  try {
    const body = JSON.parse(text) as {
      error?: string | { title?: string; message?: string };
      description?: string;
      details?: Record<string, Array<{ description?: string }>>;
    };
    const code = typeof body.error === 'string' ? body.error : (body.error?.title ?? 'error');
    const details = Object.values(body.details ?? {})
      .flat()
      .map((detail) => detail.description)
      .filter((description): description is string => typeof description === 'string');
    const message =
      details.length > 0
        ? details.join('; ')
        : (body.description ?? (typeof body.error === 'object' ? body.error?.message : undefined) ?? code);
    return { code, message };
  } catch {
    return { code: 'unreadable', message: 'an error without a JSON body' };
  }
}

/**
 * Maps a Zendesk failure to our kinds (https://developer.zendesk.com/api-reference/introduction/response-format/
 * and .../rate-limits/): 401 → auth_expired (an API token is not retried; an OAuth token is, after
 * `onUnauthorized`), 403 → permanent (the API user lacks a permission), 404 → not_found, 409 →
 * conflict (retryable: re-read and try again), 400 `IdempotentRequestError` → conflict, other
 * 400/422 → invalid_input, 429 → rate_limited with Retry-After, 5xx → transient (with Retry-After
 * when sent). Messages carry Zendesk's error text, never the credentials.
 */
export function toConnectorError(
  status: number,
  headers: Headers,
  text: string,
  what: string,
  auth?: ZendeskAuth,
): ConnectorError {
  const { code, message } = describeError(text);
  const detail = `Zendesk ${what} (${status} ${code}): ${message}`;
  const retryAfterSeconds = parseRetryAfter(headers.get('retry-after'));
  const withRetryAfter = retryAfterSeconds !== undefined ? { retryAfterSeconds } : {};
  if (status === 401) {
    const refreshable = auth?.type === 'oauth' && auth.onUnauthorized !== undefined;
    if (refreshable) auth.onUnauthorized?.();
    return new ConnectorError('auth_expired', `Zendesk refused the credentials (${what}, 401)`, {
      retryable: refreshable,
    });
  }
  if (status === 429)
    return new ConnectorError('rate_limited', `Zendesk rate-limited ${what}`, withRetryAfter);
  if (status >= 500) return new ConnectorError('transient', detail, withRetryAfter);
  if (status === 403) {
    return new ConnectorError('permanent', `the Zendesk API user may not do ${what} (403): ${message}`);
  }
  if (status === 404) return new ConnectorError('not_found', detail);
  if (status === 409) return new ConnectorError('conflict', detail, { retryable: true });
  if (code === 'IdempotentRequestError') {
    return new ConnectorError('conflict', `${detail} (the idempotency key was used with another request)`);
  }
  if (status >= 400) return new ConnectorError('invalid_input', detail);
  return new ConnectorError('permanent', `unexpected answer from Zendesk ${what} (${status})`);
}
