import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../test/support/api-harness.ts';
import { loginAs } from '../test/support/console-login.ts';
import { testDatabaseKind } from '../test/support/database.ts';
import { nulPath } from './string-rules.ts';

/**
 * Issue #20 finding 1: a NUL (U+0000) in a string that reached PostgreSQL answered 500. This walks the
 * server's own OpenAPI document: for every route and method it sends a NUL in each path parameter,
 * each query parameter (and one the route does not declare) and each string of the JSON body (nested
 * ones and record keys included), signed in as an admin with a conversation's token, so the NUL
 * reaches the boundary rather than an auth check — and expects 400 `validation_failed` naming the NUL.
 */

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  minItems?: number;
  additionalProperties?: boolean | Schema;
  default?: unknown;
};
type Operation = {
  parameters?: Array<{ in: string; name: string; schema?: Schema; required?: boolean }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

const nul = 'a\u0000b';
const typesOf = (schema: Schema): string[] =>
  schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];

/** A value of the schema (valid where easy; validity does not matter: the NUL rule runs first). */
function sample(schema: Schema | undefined): unknown {
  if (!schema) return 'x';
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const branch = schema.anyOf?.[0] ?? schema.oneOf?.[0] ?? schema.allOf?.[0];
  if (branch) return sample(branch);
  const [type] = typesOf(schema);
  if (type === 'string') return schema.format === 'email' ? 'someone@example.com' : 'x';
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return true;
  if (type === 'array') return schema.minItems ? [sample(schema.items)] : [];
  if (type === 'object' || schema.properties) {
    return Object.fromEntries((schema.required ?? []).map((key) => [key, sample(schema.properties?.[key])]));
  }
  return 'x';
}

/** Values of the schema, each with a NUL in exactly one string (or record key), and where it is. */
function nulVariants(schema: Schema | undefined, depth = 0): Array<{ value: unknown; where: string }> {
  if (!schema || depth > 8) return [];
  const branches = [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  if (branches.length > 0) return branches.flatMap((branch) => nulVariants(branch, depth + 1));
  const types = typesOf(schema);
  const variants: Array<{ value: unknown; where: string }> = [];
  if (types.includes('string') && schema.enum === undefined && schema.const === undefined)
    variants.push({ value: nul, where: '' });
  if (types.includes('array')) {
    for (const inner of nulVariants(schema.items, depth + 1))
      variants.push({ value: [inner.value], where: `/0${inner.where}` });
  }
  if (types.includes('object') || schema.properties) {
    const base = sample(schema) as Record<string, unknown>;
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      for (const inner of nulVariants(property, depth + 1))
        variants.push({ value: { ...base, [key]: inner.value }, where: `/${key}${inner.where}` });
    }
    if (schema.additionalProperties !== false && schema.additionalProperties !== undefined)
      variants.push({ value: { ...base, [nul]: 'x' }, where: '/a\\u0000b' });
  }
  return variants;
}

let api: TestApi;
let admin: { cookie: string; csrfToken: string };
let conversation: { conversationId: string; accessToken: string };
let spec: { paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  api = await createTestApi({
    settings: { rateLimit: { perIpPerMinute: 100_000, messagesPerConversationPerMinute: 100_000 } },
  });
  admin = await loginAs(api.app, api.database.pool, 'admin');
  const started = await api.app.inject({ method: 'POST', url: '/api/conversations', payload: {} });
  conversation = started.json();
  spec = (await api.app.inject({ url: '/docs/json' })).json();
}, 120_000);
afterAll(async () => api?.close());

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation of the document, with its path parameters filled with real or sample values. */
function operations() {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      const params = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path');
      const values = Object.fromEntries(
        params.map((parameter) => [
          parameter.name,
          path.startsWith('/api/conversations/') && parameter.name === 'id'
            ? conversation.conversationId
            : String(sample(parameter.schema)),
        ]),
      );
      const url = (overrides: Record<string, string> = {}) =>
        path.replace(/\{([^}]+)\}/g, (_match, name: string) =>
          encodeURIComponent(overrides[name] ?? values[name] ?? 'x'),
        );
      return [{ path, method, operation, params, url }];
    }),
  );
}

async function send(
  method: (typeof methods)[number],
  url: string,
  body?: unknown,
): Promise<{ statusCode: number; json: () => { error?: { code: string; message: string } }; body: string }> {
  return api.app.inject({
    method: method.toUpperCase() as 'GET',
    url,
    headers: {
      cookie: admin.cookie,
      'x-csrf-token': admin.csrfToken,
      authorization: `Bearer ${conversation.accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

function expectNulRefused(
  response: Awaited<ReturnType<typeof send>>,
  what: string,
  where: 'params' | 'querystring' | 'body',
) {
  expect(response.statusCode, `${what}: ${response.body.slice(0, 300)}`).toBe(400);
  const error = response.json().error;
  expect(error?.code, what).toBe('validation_failed');
  expect(error?.message, what).toContain(`Invalid ${where}`);
  expect(error?.message, what).toContain('NUL');
}

describe(`no NUL reaches the database, on any route of the OpenAPI document (${testDatabaseKind()})`, () => {
  it('the document lists the routes the attack run found', () => {
    const listed = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(listed.length).toBeGreaterThan(30);
    expect(listed).toEqual(
      expect.arrayContaining([
        'POST /api/conversations/{id}/messages',
        'POST /api/console/login',
        'POST /api/webhooks/stripe',
      ]),
    );
  });

  it('refuses a NUL in every path parameter with 400 validation_failed', async () => {
    let checked = 0;
    for (const { method, path, params, url } of operations()) {
      for (const parameter of params) {
        const response = await send(method, url({ [parameter.name]: nul }));
        expectNulRefused(response, `${method.toUpperCase()} ${path} path ${parameter.name}`, 'params');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('refuses a NUL in every query parameter, declared or not, with 400 validation_failed', async () => {
    for (const { method, path, operation, url } of operations()) {
      const names = (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name);
      for (const name of [...names, 'undeclared']) {
        const body = operation.requestBody ? sample(jsonSchemaOf(operation)) : undefined;
        const response = await send(method, `${url()}?${name}=a%00b`, body);
        expectNulRefused(response, `${method.toUpperCase()} ${path} query ${name}`, 'querystring');
      }
    }
  });

  it('refuses a NUL in every string of every JSON body with 400 validation_failed', async () => {
    let checked = 0;
    for (const { method, path, operation, url } of operations()) {
      const schema = jsonSchemaOf(operation);
      if (!schema) continue;
      for (const variant of nulVariants(schema)) {
        const response = await send(method, url(), variant.value);
        expectNulRefused(
          response,
          `${method.toUpperCase()} ${path} body ${variant.where || '(root)'}`,
          'body',
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('refuses a NUL in the unauthenticated routes the attack run named (no session, no token)', async () => {
    const message = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/messages`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { text: 'I was charged twice\u0000' },
    });
    expectNulRefused(message, 'customer message', 'body');
    const login = await api.app.inject({
      method: 'POST',
      url: '/api/console/login',
      payload: { email: 'someone@example.com', password: 'pass\u0000word' },
    });
    expectNulRefused(login, 'console login', 'body');
    // The customer's conversation is untouched: nothing was stored.
    const { rows } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`,
      [conversation.conversationId],
    );
    expect(rows[0].n).toBe(0);
  });

  it('leaves raw bodies alone: the Stripe webhook still reads its bytes, NULs included', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      payload: Buffer.from('{"id":"evt_1","note":"a\u0000b"}'),
    });
    // Not configured in tests (503) or a bad signature (400 with its own message): never the NUL rule.
    expect([400, 503]).toContain(response.statusCode);
    expect(response.json().error.message).not.toContain('NUL');
  });
});

describe('nulPath', () => {
  it('finds a NUL in nested strings and keys, skips binary, and survives deep nesting', () => {
    expect(nulPath({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toBe('/a/1/c');
    expect(nulPath({ 'k\u0000': 1 })).toBe('/k\\u0000');
    expect(nulPath(Buffer.from([0, 1, 2]))).toBeNull();
    expect(nulPath('plain')).toBeNull();
    let deep: unknown = 'x\u0000';
    for (let level = 0; level < 200_000; level++) deep = [deep];
    expect(nulPath(deep)).toMatch(/^(\/0)+$/);
  });
});

function jsonSchemaOf(operation: Operation): Schema | undefined {
  return operation.requestBody?.content?.['application/json']?.schema;
}
