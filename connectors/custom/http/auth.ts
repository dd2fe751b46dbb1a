import { z } from 'zod';
import { ConnectorError } from '../../core/errors.ts';
import type { CredentialVault } from '../../core/vault.ts';
import type { OutboundClient } from './outbound.ts';
import { authFields, type HttpAuth } from './spec.ts';

/** How long credentials read from the vault are reused (a 401 drops them at once). */
const credentialTtlMs = 30_000;

/** The headers that authenticate a request, from the connector's vault fields. */
export interface HttpAuthenticator {
  headers(signal: AbortSignal): Promise<Record<string, string>>;
  /** After a 401: read the credentials again and, for OAuth2, fetch a new token. */
  invalidate(): void;
  /** Whether a 401 can be cured by asking again (a new OAuth2 token). */
  readonly refreshable: boolean;
  /** Vault fields the scheme needs that are not stored (the health check names them). */
  missing(): Promise<string[]>;
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

export function createAuthenticator(options: {
  connectorId: string;
  auth: HttpAuth;
  vault: CredentialVault;
  client: OutboundClient;
}): HttpAuthenticator {
  const { connectorId, auth, vault, client } = options;
  const fields = authFields[auth.type];
  let credentials: { values: Record<string, string>; until: number } | null = null;
  let token: { value: string; until: number } | null = null;

  async function read(): Promise<Record<string, string>> {
    if (credentials && credentials.until > Date.now()) return credentials.values;
    const values: Record<string, string> = {};
    for (const field of fields) {
      const value = await vault.get(connectorId, field);
      if (value === null)
        throw new ConnectorError('auth_expired', `no credential "${field}" is stored for ${connectorId}`, {
          retryable: false,
        });
      values[field] = value;
    }
    credentials = { values, until: Date.now() + credentialTtlMs };
    return values;
  }

  // RFC 6749 §4.4: client credentials, sent with HTTP Basic (§2.3.1).
  async function fetchToken(values: Record<string, string>, signal: AbortSignal): Promise<string> {
    if (auth.type !== 'oauth2_client_credentials') throw new Error('not an OAuth2 connector');
    if (token && token.until > Date.now()) return token.value;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (auth.scopes.length) form.set('scope', auth.scopes.join(' '));
    if (auth.audience) form.set('audience', auth.audience);
    const basic = Buffer.from(
      `${encodeURIComponent(values.client_id!)}:${encodeURIComponent(values.client_secret!)}`,
    ).toString('base64');
    let answer: Awaited<ReturnType<OutboundClient['send']>>;
    try {
      answer = await client.send({
        url: new URL(auth.tokenUrl),
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal,
        maxBytes: 64 * 1024,
      });
    } catch (error) {
      throw new ConnectorError('transient', `${connectorId}: the token endpoint could not be reached`, {
        cause: error,
      });
    }
    // The token endpoint's message is not passed on: it may echo what was sent.
    if (answer.status >= 500 || answer.status === 429)
      throw new ConnectorError('transient', `${connectorId}: the token endpoint answered ${answer.status}`);
    const parsed = answer.status === 200 ? tokenAnswer.safeParse(safeJson(answer.text)) : null;
    if (!parsed?.success)
      throw new ConnectorError(
        'auth_expired',
        `${connectorId}: the token endpoint refused the client (${answer.status})`,
        {
          retryable: false,
        },
      );
    const lifetimeMs = (parsed.data.expires_in ?? 300) * 1000;
    token = { value: parsed.data.access_token, until: Date.now() + Math.max(0, lifetimeMs - 30_000) };
    return token.value;
  }

  return {
    refreshable: auth.type === 'oauth2_client_credentials',
    async headers(signal) {
      if (auth.type === 'none') return {};
      const values = await read();
      switch (auth.type) {
        case 'api_key':
          return { [auth.header.toLowerCase()]: values.api_key! };
        case 'bearer':
          return { authorization: `Bearer ${values.token}` };
        case 'basic':
          return {
            authorization: `Basic ${Buffer.from(`${values.username}:${values.password}`).toString('base64')}`,
          };
        case 'oauth2_client_credentials':
          return { authorization: `Bearer ${await fetchToken(values, signal)}` };
      }
    },
    invalidate() {
      credentials = null;
      token = null;
    },
    async missing() {
      const stored = new Set((await vault.list(connectorId)).map((info) => info.field));
      return fields.filter((field) => !stored.has(field));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
