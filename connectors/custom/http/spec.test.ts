import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../core/address-guard.ts';
import { describeIssues } from '../builder.ts';
import { allowedSchema, toZod } from './schemas.ts';
import { httpConnectorSpecSchema } from './spec.ts';

const order = {
  type: 'object',
  required: ['id', 'total_cents'],
  properties: {
    id: { type: 'string' },
    total_cents: { type: 'integer' },
    note: { type: 'string', nullable: true, example: 'x' },
    margin: { type: 'integer' },
  },
  additionalProperties: false,
};

const spec = (operation: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  baseUrl: 'https://orders.example.com/v1',
  auth: { type: 'api_key', header: 'X-Api-Key' },
  operations: [
    {
      name: 'get_order',
      description: 'One order',
      method: 'GET',
      path: '/orders/{order_id}',
      parameters: [
        { name: 'order_id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'email', in: 'query', schema: { type: 'string' } },
      ],
      effect: 'read',
      customer: { parameter: 'email', from: 'contactEmail' },
      response: order,
      outputFields: ['id', 'total_cents'],
      ...operation,
    },
  ],
  ...rest,
});

const problems = (value: unknown) => {
  const parsed = httpConnectorSpecSchema.safeParse(value);
  return parsed.success ? '' : describeIssues(parsed.error);
};

describe('the http declaration', () => {
  it('accepts a complete read', () => {
    expect(problems(spec({}))).toBe('');
  });

  it('names the path of each problem', () => {
    expect(problems(spec({ path: '/orders/{id}' }))).toMatch(
      /operations\.0\.parameters\.0\.name: the path has no \{order_id\}/,
    );
    expect(problems(spec({ effect: 'write', method: 'POST' }))).toMatch(
      /operations\.0\.idempotency: a write needs/,
    );
    expect(problems(spec({ customer: { parameter: 'mail', from: 'contactEmail' } }))).toMatch(
      /operations\.0\.customer\.parameter: names no parameter/,
    );
    expect(problems(spec({ outputFields: ['id', 'secret'] }))).toMatch(
      /outputFields: not in the response schema: secret/,
    );
    expect(problems(spec({ response: { $ref: '#/components/schemas/Order' } }))).toMatch(
      /operations\.0\.response: .*\$ref/,
    );
    expect(
      problems(
        spec({
          effect: 'write',
          method: 'POST',
          idempotency: { key: 'cancel:{order}', header: 'Idempotency-Key' },
        }),
      ),
    ).toMatch(/idempotency\.key: \{order\} names no parameter/);
    expect(
      problems(spec({ parameters: [{ name: 'Authorization', in: 'header' }], path: '/orders' })),
    ).toMatch(/a header the connector sets itself/);
  });

  it('keeps secrets out: an auth scheme takes no value', () => {
    expect(problems(spec({}, { auth: { type: 'bearer', token: 'sk_live_x' } }))).toMatch(/auth/);
    expect(problems(spec({}, { auth: { type: 'basic', password: 'hunter2' } }))).toMatch(/auth/);
  });
});

describe('schemas', () => {
  it('reads OpenAPI 3.0 schemas (nullable, examples) and narrows the output to the allow-list', () => {
    const full = toZod(order, 'openapi-3.0');
    expect(full.safeParse({ id: 'o', total_cents: 1, note: null }).success).toBe(true);
    expect(full.safeParse({ id: 'o', total_cents: '1' }).success).toBe(false);
    const narrowed = allowedSchema(order, ['id', 'note']);
    expect(Object.keys(narrowed.properties as object)).toEqual(['id', 'note']);
    expect(narrowed.required).toEqual(['id']);
    const list = allowedSchema({ type: 'array', items: order }, ['[].id']);
    expect(toZod(list, 'openapi-3.0').safeParse([{ id: 'a' }]).success).toBe(true);
  });
});

describe('outbound addresses', () => {
  it('lets only public unicast addresses through', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
    ])
      expect(isPublicAddress(address), address).toBe(false);
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'])
      expect(isPublicAddress(address), address).toBe(true);
  });
});
