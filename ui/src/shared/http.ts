import type { ErrorBody } from '../../../api/contract/errors.ts';

/** An error answered by the API (`{ error: { code, message, details } }`) or by the network. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Console and admin calls ride on the session cookie. */
  credentials?: RequestCredentials;
}

/** Calls the API and returns its JSON; a non-2xx answer throws an `ApiRequestError` with its code. */
export async function requestJson<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: options.credentials ?? 'same-origin',
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiRequestError(0, 'network', 'The server could not be reached. Check your connection.');
  }
  const text = await response.text();
  const data: unknown = text ? safeParse(text) : null;
  if (!response.ok) {
    // An error answered by the API has the contract's shape; a proxy's or the network's may not.
    const failure = (data as Partial<ErrorBody> | null)?.error;
    throw new ApiRequestError(
      response.status,
      failure?.code ?? `http_${response.status}`,
      failure?.message ?? (response.statusText || `Request failed (${response.status})`),
      Array.isArray(failure?.details) ? failure.details : [],
    );
  }
  return data as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text };
  }
}

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiRequestError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
