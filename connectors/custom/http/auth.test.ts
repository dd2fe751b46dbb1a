import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallerSession, OperationContext } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import type { CredentialVault } from '../../core/vault.ts';
import { httpConnectorBuilder } from './index.ts';
import { type HttpConnectorSpec, httpConnectorSpecSchema } from './spec.ts';

/** A token endpoint and an API that wants its bearer token, like an OAuth2 client-credentials service. */
let server: http.Server;
let base: string;
const issued: string[] = [];
const seen: Array<{ path: string; authorization: string | undefined }> = [];
let rejectNext = 0;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      seen.push({ path: request.url ?? '', authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/json');
      if (request.url === '/token') {
        const expected = `Basic ${Buffer.from('client-1:s3cret').toString('base64')}`;
        const form = new URLSearchParams(body);
        if (request.headers.authorization !== expected || form.get('grant_type') !== 'client_credentials') {
          response.statusCode = 401;
          return response.end(JSON.stringify({ error: 'invalid_client' }));
        }
        const token = `tok_${issued.length + 1}`;
        issued.push(token);
        return response.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
      }
      if (request.url === '/v1/me' && rejectNext > 0) {
        rejectNext -= 1;
        response.statusCode = 401;
        return response.end(JSON.stringify({ error: 'token expired' }));
      }
      if (request.url === '/v1/me' && request.headers.authorization === `Bearer ${issued.at(-1)}`)
        return response.end(JSON.stringify({ id: 'u_1', plan: 'pro', secret_flag: true }));
      response.statusCode = request.url === '/v1/me' ? 401 : 404;
      response.end(JSON.stringify({ error: 'no' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function memoryVault(values: Record<string, string>): CredentialVault {
  return {
    get: async (_connector, field) => values[field] ?? null,
    list: async (connectorId) =>
      Object.keys(values).map((field) => ({
        connectorId: connectorId ?? 'x',
        field,
        keyId: 'k',
        expiresAt: null,
        updatedAt: new Date(),
      })),
  } as Partial<CredentialVault> as CredentialVault;
}

const session: CallerSession = { conversationId: null, actor: 'system', customer: null };
const context = (): OperationContext => ({
  session,
  now: () => new Date(),
  signal: new AbortController().signal,
  policy: {},
});

async function connector(auth: Record<string, unknown>, vault: CredentialVault) {
  const spec: HttpConnectorSpec = httpConnectorSpecSchema.parse({
    baseUrl: `${base}/v1`,
    auth,
    operations: [
      {
        name: 'who_am_i',
        description: 'The account of the credentials',
        method: 'GET',
        path: '/me',
        effect: 'read',
        response: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string' }, plan: { type: 'string' } },
        },
        outputFields: ['id', 'plan'],
      },
    ],
  });
  const built = await httpConnectorBuilder.build(
    {
      id: 'svc',
      kind: 'http',
      title: 'Service',
      version: 1,
      spec,
      enabled: true,
      updatedAt: new Date(),
      updatedBy: null,
    },
    { vault, outbound: { allowedHosts: ['127.0.0.1'] } },
  );
  return { built, run: () => built.definition.operations.who_am_i!.run({}, context()) };
}

describe('HTTP connector auth from the vault', () => {
  it('OAuth2 client credentials: buys a token once, reuses it, and a 401 makes the retry buy another', async () => {
    const { built, run } = await connector(
      { type: 'oauth2_client_credentials', tokenUrl: `${base}/token`, scopes: ['orders:read'] },
      memoryVault({ client_id: 'client-1', client_secret: 's3cret' }),
    );
    expect(await run()).toEqual({ id: 'u_1', plan: 'pro' });
    expect(await run()).toEqual({ id: 'u_1', plan: 'pro' });
    expect(issued).toEqual(['tok_1']);
    rejectNext = 1;
    const refused = await run().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectorError);
    expect(refused).toMatchObject({ kind: 'auth_expired', retryable: true });
    expect(await run()).toEqual({ id: 'u_1', plan: 'pro' });
    expect(issued).toEqual(['tok_1', 'tok_2']);
    expect(await built.definition.check(new AbortController().signal)).toMatchObject({ ok: true });
    await built.close?.();
  });

  it('a wrong client secret is auth_expired, not retried, and its answer is not echoed', async () => {
    const { built, run } = await connector(
      { type: 'oauth2_client_credentials', tokenUrl: `${base}/token` },
      memoryVault({ client_id: 'client-1', client_secret: 'wrong' }),
    );
    const refused = (await run().catch((error: unknown) => error)) as ConnectorError;
    expect(refused).toMatchObject({ kind: 'auth_expired', retryable: false });
    expect(refused.message).not.toContain('wrong');
    await built.close?.();
  });

  it('the health check names credentials missing from the vault', async () => {
    const { built } = await connector({ type: 'basic' }, memoryVault({ username: 'u' }));
    expect(await built.definition.check(new AbortController().signal)).toEqual({
      ok: false,
      detail: 'credentials missing in the vault: password',
    });
    await built.close?.();
  });
});
