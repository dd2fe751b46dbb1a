import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AddressGuard } from '../../connectors/core/address-guard.ts';

/** What one POST to an endpoint came to. */
export interface PostOutcome {
  /** The HTTP status, when a response arrived. */
  responseCode: number | null;
  latencyMs: number;
  /** Set unless the answer was 2xx: why the attempt counts as failed (never the response body). */
  error: string | null;
  /** True when retrying cannot help (the address is refused). */
  permanent: boolean;
}

/**
 * POSTs `body` to `url` with `headers`, at most `timeoutMs` for the whole exchange. The connection goes
 * to the address the guard checked (its `lookup` pins it), so a host name that resolves to a public
 * address when checked and to a private one a moment later (DNS rebinding) cannot slip through.
 * Redirects are not followed: a 3xx is a failed attempt.
 */
export async function postWebhook(options: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  guard: AddressGuard;
}): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const url = new URL(options.url);
  // Checked before any connection is opened (an IP literal never reaches `lookup`).
  try {
    await options.guard.resolve(url.hostname);
  } catch (error) {
    return { responseCode: null, latencyMs: elapsed(), error: (error as Error).message, permanent: true };
  }
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    let blocked: string | null = null;
    const finish = (outcome: Omit<PostOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, latencyMs: elapsed() });
    };
    const pinnedLookup: LookupFunction = (hostname, lookupOptions, callback) =>
      options.guard.lookup(hostname, lookupOptions, (error, address, family) => {
        if (error) blocked = error.message;
        callback(error, address, family);
      });
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
      lookup: pinnedLookup,
      agent: false,
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    request.on('response', (response) => {
      const code = response.statusCode ?? 0;
      // The body is read and dropped: it is the receiver's business, and may hold anything.
      response.resume();
      response.on('end', () =>
        finish({
          responseCode: code,
          error: code >= 200 && code < 300 ? null : `endpoint answered ${code}`,
          permanent: false,
        }),
      );
      response.on('error', (error) => finish({ responseCode: code, error: error.message, permanent: false }));
    });
    request.on('error', (error) =>
      finish({ responseCode: null, error: blocked ?? error.message, permanent: blocked !== null }),
    );
    request.end(options.body);
  });
}
