import { ConnectorError } from '../../core/errors.ts';
import { BlockedAddressError, ResponseTooLargeError } from './outbound.ts';

/** Reads a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The first line of an error body (JSON `message`/`error`/`detail`, or the text), short and single-line. */
function describeBody(text: string): string {
  let message = text;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const candidate = body.message ?? body.error ?? body.detail ?? body.title;
    if (typeof candidate === 'string') message = candidate;
    else if (
      candidate &&
      typeof candidate === 'object' &&
      typeof (candidate as { message?: unknown }).message === 'string'
    )
      message = (candidate as { message: string }).message;
  } catch {
    // not JSON: the text itself
  }
  return message.replace(/\s+/g, ' ').trim().slice(0, 200) || 'no message';
}

/**
 * Maps a non-2xx answer to our kinds, as the vendor backends do (connectors/ticketing/zendesk/errors.ts):
 * 401 → auth_expired (retried only when a new token can be fetched), 403 → forbidden, 404 → not_found,
 * 409 → conflict, 400/422 → invalid_input, 429 → rate_limited with Retry-After, 5xx → transient
 * (with Retry-After when sent), anything else (3xx: redirects are not followed, other 4xx) → permanent.
 */
export function statusError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  what: string,
  refreshable: boolean,
): ConnectorError {
  const detail = `${what} answered ${status}: ${describeBody(text)}`;
  const retryAfterSeconds = parseRetryAfter(headers['retry-after']);
  const withRetryAfter = retryAfterSeconds !== undefined ? { retryAfterSeconds } : {};
  if (status === 401)
    return new ConnectorError('auth_expired', `${what} refused the credentials (401)`, {
      retryable: refreshable,
    });
  if (status === 429)
    return new ConnectorError('rate_limited', `${what} is rate-limited (429)`, withRetryAfter);
  if (status >= 500) return new ConnectorError('transient', detail, withRetryAfter);
  if (status === 403) return new ConnectorError('forbidden', detail);
  if (status === 404) return new ConnectorError('not_found', detail);
  if (status === 409) return new ConnectorError('conflict', detail);
  if (status === 400 || status === 422) return new ConnectorError('invalid_input', detail);
  if (status >= 300 && status < 400)
    return new ConnectorError('permanent', `${what} answered a redirect (${status}), which is not followed`);
  return new ConnectorError('permanent', detail);
}

/** A request that got no answer: refused before it left (permanent), or a network failure or timeout (transient). */
export function sendError(error: unknown, what: string, timedOut: boolean): ConnectorError {
  if (error instanceof BlockedAddressError || (error as { code?: string }).code === 'EBLOCKED')
    return new ConnectorError('permanent', `${what} was not called: ${(error as Error).message}`);
  if (error instanceof ResponseTooLargeError)
    return new ConnectorError('permanent', `${what}: ${error.message}`);
  if (timedOut) return new ConnectorError('transient', `${what} did not answer in time`);
  const code = (error as { code?: string }).code;
  return new ConnectorError('transient', `${what} could not be reached${code ? ` (${code})` : ''}`, {
    cause: error,
  });
}
