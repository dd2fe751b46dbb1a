import { type ClientRequest, Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Client } from '@hubspot/api-client';
import type { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';

/*
 * The official HubSpot SDK (`@hubspot/api-client` 13.5) as the backend uses it. The SDK builds each
 * request (paths, query and body serialisation, form encoding of the OAuth token request) and sends
 * it with its own HTTP library; around it this module adds what 13.5 lacks or does in a way the
 * pipeline must not see:
 *
 * - **No retries, no rate limiter.** The client is created with `numberOfApiCallRetries: 0` and no
 *   `limiterOptions`, so the SDK installs neither its RetryDecorator nor its Bottleneck limiter. The
 *   SDK keeps its decorators in a process-wide singleton, applied to an API object when it is created:
 *   every API used here is created right after `new Client(...)`, in the same synchronous step, so a
 *   client built elsewhere with retries cannot slip its decorators in. Retrying is the pipeline's job.
 * - **Timeouts and abort.** 13.5 takes no AbortSignal. Each call gets its own HTTP agent view (one
 *   keep-alive agent per transport, so connections are still pooled) that remembers the request it
 *   carried; on the call's timeout or abort that request is destroyed, and the call fails at once.
 * - **The token per request.** Set by a call-time middleware (`Authorization: Bearer …`), so an OAuth
 *   access token the vault refreshes is used from the next request on; the client holds none.
 * - **Raw answers, our schemas.** A call-time `post` middleware reads the raw status, headers and body
 *   before the SDK deserialises anything: errors are mapped from HubSpot's own error body (the SDK's
 *   model drops `policyName`), and successful bodies are parsed with our zod schemas, not trusted from
 *   the SDK's models. Whatever the SDK throws is mapped; nothing escapes as a crash.
 */

/** The SDK client's APIs the backend uses, created eagerly (see above). */
export interface HubSpotSdk {
  objects: Client['crm']['objects']['basicApi'];
  search: Client['crm']['objects']['searchApi'];
  batch: Client['crm']['objects']['batchApi'];
  associations: Client['crm']['associations']['v4']['basicApi'];
  owners: Client['crm']['owners']['ownersApi'];
  properties: Client['crm']['properties']['coreApi'];
  tokens: Client['oauth']['tokensApi'];
  refreshTokens: Client['oauth']['refreshTokensApi'];
  /** The SDK's install-page URL builder (`https://app.hubspot.com/oauth/authorize?…`). */
  authorizationUrl: Client['oauth']['getAuthorizationUrl'];
  /** Per-request options carrying the call-time middleware; pass as the SDK methods' last argument. */
  call<Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    invoke: (options: never) => Promise<unknown>,
    settings: CallSettings,
  ): Promise<z.output<Schema>>;
}

/** How one call is made. */
export interface CallSettings {
  /** The bearer token (none for the OAuth token endpoint, which authenticates by its form). */
  token?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Maps a non-2xx answer (default: `hubspotErrorOf`). */
  errorOf?: (what: string, answer: RawAnswer) => ConnectorError;
}

/** An answer as HubSpot sent it. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** The SDK's request context, as far as the middleware touches it (each generated module has its own class). */
interface SdkRequestContext {
  setHeaderParam(key: string, value: string): void;
  setAgent(agent: HttpAgent | HttpsAgent): void;
}
interface SdkResponseContext {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string>; binary(): Promise<Buffer> };
}

/** Creates the SDK client for `baseUrl` (HubSpot's API by default) and the call wrapper around it. */
export function createHubSpotSdk(
  baseUrl: string,
  errorOf: (what: string, answer: RawAnswer) => ConnectorError,
) {
  const base = baseUrl.replace(/\/+$/, '');
  const client = new Client({ basePath: base, numberOfApiCallRetries: 0 });
  // Created now, in this synchronous step: the SDK's decorator singleton is empty (see above).
  const sdk = {
    objects: client.crm.objects.basicApi,
    search: client.crm.objects.searchApi,
    batch: client.crm.objects.batchApi,
    associations: client.crm.associations.v4.basicApi,
    owners: client.crm.owners.ownersApi,
    properties: client.crm.properties.coreApi,
    tokens: client.oauth.tokensApi,
    refreshTokens: client.oauth.refreshTokensApi,
    authorizationUrl: client.oauth.getAuthorizationUrl.bind(client.oauth),
  };
  const pool = base.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });

  async function call<Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    invoke: (options: never) => Promise<unknown>,
    settings: CallSettings,
  ): Promise<z.output<Schema>> {
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const signal = settings.signal ? AbortSignal.any([settings.signal, timeout]) : timeout;
    const failed = (error?: unknown) =>
      new ConnectorError(
        'transient',
        `HubSpot ${what}: ${timeout.aborted ? `no answer within ${settings.timeoutMs} ms` : signal.aborted ? 'the call was aborted' : 'the connection failed'}`,
        error === undefined ? {} : { cause: scrubbed(error) },
      );
    if (signal.aborted) throw failed();
    let request: ClientRequest | undefined;
    let raw: RawAnswer | undefined;
    const middleware = {
      async pre(context: SdkRequestContext) {
        if (settings.token !== undefined) context.setHeaderParam('Authorization', `Bearer ${settings.token}`);
        context.setAgent(tracking(pool, (sent) => (request = sent)));
        return context;
      },
      async post(context: SdkResponseContext) {
        const text = await context.body.text();
        raw = { status: context.httpStatusCode, headers: context.headers, text };
        // The body is read once here; the SDK reads this copy.
        context.body = { text: async () => text, binary: async () => Buffer.from(text) };
        if (raw.status < 200 || raw.status > 299) throw (settings.errorOf ?? errorOf)(what, raw);
        return context;
      },
    };
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => {
        request?.destroy(new Error('aborted'));
        reject(failed());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
    try {
      const pending = invoke({ middleware: [middleware], middlewareMergeStrategy: 'append' } as never);
      pending.catch(() => {});
      await Promise.race([pending, aborted]);
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      // Sent and answered 2xx, but the SDK could not deserialise it: our schema decides below.
      if (raw === undefined) throw failed(error);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
    if (raw === undefined) throw failed();
    return parsed(what, schema, raw.text);
  }

  return { ...sdk, call } satisfies HubSpotSdk as HubSpotSdk;
}

/** The shared keep-alive agent, seen through an object that remembers the request it is given. */
function tracking(pool: HttpAgent, onRequest: (request: ClientRequest) => void): HttpAgent {
  const view = Object.create(pool) as HttpAgent & {
    addRequest(request: ClientRequest, options: unknown): void;
  };
  const shared = pool as HttpAgent & { addRequest(request: ClientRequest, options: unknown): void };
  view.addRequest = (request, options) => {
    onRequest(request);
    shared.addRequest(request, options);
  };
  return view;
}

/** A body parsed with our schema: unreadable or unexpected → permanent, naming the first issues. */
export function parsed<Schema extends z.ZodType>(
  what: string,
  schema: Schema,
  text: string,
): z.output<Schema> {
  let value: unknown;
  try {
    value = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ConnectorError('permanent', `unreadable response from HubSpot ${what}`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const where = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new ConnectorError('permanent', `unexpected response from HubSpot ${what}: ${where.join('; ')}`);
  }
  return result.data;
}

/**
 * An error of the SDK or of node-fetch as a cause: its name and message only (node-fetch names the
 * URL: a refresh token in a path is redacted; nothing of the request's headers is kept).
 */
function scrubbed(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  // The refresh-token endpoint carries the token in its path, which node-fetch's messages name.
  const copy = new Error(
    original.message
      .replace(/Bearer\s+\S+/gi, 'Bearer [redacted]')
      .replace(/refresh-tokens\/[^/\s?#]+/gi, 'refresh-tokens/[redacted]'),
  );
  copy.name = original.name;
  return copy;
}
