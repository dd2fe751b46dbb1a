import { ConnectorError } from '../../core/errors.ts';

/** The parts of a gaxios error we read (it is not a class we can rely on across copies of gaxios). */
interface HttpFailure {
  status?: number;
  code?: string | number;
  name?: string;
  message?: string;
  response?: { status?: number; headers?: Headers | Record<string, string>; data?: unknown };
}

/** Reads a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function header(
  headers: Headers | Record<string, string> | undefined,
  name: string,
): string | null | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const record = headers as Record<string, string>;
  return record[name] ?? record[name.toLowerCase()];
}

/** The first `reason` of Google's error body `{error:{code,message,errors:[{reason}]}}`. */
function googleReason(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const errors = (data as { error?: { errors?: Array<{ reason?: unknown }> } }).error?.errors;
  const reason = Array.isArray(errors) ? errors[0]?.reason : undefined;
  return typeof reason === 'string' ? reason : undefined;
}

/**
 * Maps a failed Google Calendar call to a ConnectorError, per Google's error guide:
 * https://developers.google.com/calendar/api/guides/errors
 * 401 → auth_expired (and `onUnauthorized` so the token manager refreshes before the retry),
 * 403 rate limits / 429 → rate_limited with Retry-After, 5xx → transient, 400 → invalid_input,
 * 404/410 → not_found, 409 → conflict; no response at all (network, timeout) → transient.
 */
export function mapGoogleError(error: unknown, onUnauthorized: () => void): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const failure = (error ?? {}) as HttpFailure;
  const status =
    failure.response?.status ?? (typeof failure.status === 'number' ? failure.status : undefined);
  const reason = googleReason(failure.response?.data);
  const detail = `Google Calendar ${status ?? 'request'} ${reason ?? ''}`.trim();
  if (status === undefined) {
    const aborted = failure.name === 'AbortError' || failure.name === 'TimeoutError';
    return new ConnectorError(
      'transient',
      aborted ? 'Google Calendar request timed out' : 'Google Calendar unreachable',
      {
        cause: error,
      },
    );
  }
  if (status === 401) {
    onUnauthorized();
    return new ConnectorError('auth_expired', `${detail}: access token rejected`, { cause: error });
  }
  const rateLimitReasons = ['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded'];
  if (status === 429 || (status === 403 && reason !== undefined && rateLimitReasons.includes(reason))) {
    const retryAfterSeconds = parseRetryAfter(header(failure.response?.headers, 'retry-after'));
    return new ConnectorError('rate_limited', `${detail}: rate limited`, {
      cause: error,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }
  if (status >= 500) return new ConnectorError('transient', `${detail}: server error`, { cause: error });
  if (status === 400)
    return new ConnectorError('invalid_input', `${detail}: request rejected`, { cause: error });
  if (status === 403) return new ConnectorError('forbidden', `${detail}: access denied`, { cause: error });
  if (status === 404 || status === 410)
    return new ConnectorError('not_found', `${detail}: not found`, { cause: error });
  if (status === 409) return new ConnectorError('conflict', `${detail}: already exists`, { cause: error });
  return new ConnectorError('permanent', `${detail}: unexpected response`, { cause: error });
}

/** The HTTP status of a failed call, when it got a response. */
export const statusOf = (error: unknown): number | undefined => {
  const failure = (error ?? {}) as HttpFailure;
  return failure.response?.status ?? (typeof failure.status === 'number' ? failure.status : undefined);
};
