import { z } from 'zod';
import { parsePath } from '../../core/redaction.ts';
import { jsonSchemaProblem, outputSchemaProblem } from './schemas.ts';

/**
 * The declaration of an admin's HTTP connector (docs/custom-connectors.md): where the API is, how it
 * authenticates (secrets are vault fields of the connector, never part of the declaration), and the
 * operations the pipeline may call, each with its schemas, effect, customer binding, output
 * allow-list and idempotency.
 */

/** A JSON Schema object, dereferenced (no `$ref`): what an operation's parameters and answer must match. */
const jsonSchema = z.record(z.string(), z.unknown());

const headerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'not an HTTP header name');

/** Headers the declaration may not set from a parameter: the auth, the body, the route, the key. */
const reservedHeaders = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
]);

export const httpAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  /** The vault field `api_key` travels in `header`. */
  z.strictObject({ type: z.literal('api_key'), header: headerName.default('X-API-Key') }),
  /** The vault field `token` travels as `Authorization: Bearer …`. */
  z.strictObject({ type: z.literal('bearer') }),
  /** The vault fields `username` and `password` travel as `Authorization: Basic …`. */
  z.strictObject({ type: z.literal('basic') }),
  /** The vault fields `client_id` and `client_secret` buy a token at `tokenUrl` (RFC 6749 §4.4). */
  z.strictObject({
    type: z.literal('oauth2_client_credentials'),
    tokenUrl: z.url({ protocol: /^https?$/ }),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'not an OAuth scope'))
      .max(50)
      .default([]),
    audience: z.string().max(500).optional(),
  }),
]);
export type HttpAuth = z.infer<typeof httpAuthSchema>;

/** The vault fields each auth scheme reads (what an admin stores with PUT …/credentials). */
export const authFields: Record<HttpAuth['type'], string[]> = {
  none: [],
  api_key: ['api_key'],
  bearer: ['token'],
  basic: ['username', 'password'],
  oauth2_client_credentials: ['client_id', 'client_secret'],
};

const parameterSchema = z.strictObject({
  /** The input field's name (what the model and a declarative procedure fill), and the wire name. */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'use letters, digits, "_" or "-" (≤ 64)'),
  in: z.enum(['path', 'query', 'header', 'body']),
  description: z.string().max(1000).optional(),
  required: z.boolean().default(false),
  schema: jsonSchema.default({}),
});
export type HttpParameter = z.infer<typeof parameterSchema>;

/** Where the verified session's customer goes: never from the model. */
const customerBindingSchema = z.strictObject({
  parameter: z.string().min(1),
  from: z.enum(['contactId', 'accountId', 'contactEmail']),
});

const operationSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, 'use 2–64 lower-case letters, digits or "_"'),
  description: z.string().min(1).max(2000),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Relative to the base URL; `{name}` is filled from the path parameter of that name. */
  path: z.string().regex(/^\/[^\s?#]*$/, 'a path starting with "/", without query or fragment'),
  parameters: z.array(parameterSchema).max(50).default([]),
  effect: z.enum(['read', 'write']),
  customer: customerBindingSchema.optional(),
  /** The schema of a 2xx answer's JSON body; an answer that does not match is a `permanent` error. */
  response: jsonSchema.default({}),
  /** The answer's fields that may reach the caller (`id`, `items[].sku`, `[].id`); nothing else does. */
  outputFields: z.array(z.string().min(1)).min(1).max(200),
  /** Writes: the natural key (`order-cancel:{order_id}`) and the header the pipeline's key travels in. */
  idempotency: z
    .strictObject({ key: z.string().min(1).max(200), header: headerName.default('Idempotency-Key') })
    .optional(),
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  /** A person approves each call first; a policy action limit can require it above an amount instead (docs/custom-connectors.md). */
  needsApproval: z.boolean().default(false),
});
export type HttpOperationSpec = z.infer<typeof operationSchema>;

/** Placeholders of a template: `order-cancel:{order_id}` → `['order_id']`. */
export const placeholders = (template: string): string[] =>
  [...template.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1]!);

export const httpConnectorSpecSchema = z
  .strictObject({
    baseUrl: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
    /** How the JSON Schemas are read: OpenAPI 3.0 (`nullable`) or JSON Schema 2020-12 (OpenAPI 3.1). */
    schemaDialect: z.enum(['openapi-3.0', 'draft-2020-12']).default('openapi-3.0'),
    auth: httpAuthSchema.default({ type: 'none' }),
    operations: z.array(operationSchema).min(1).max(100),
  })
  .superRefine((spec, context) => {
    const names = new Set<string>();
    spec.operations.forEach((operation, index) => {
      const at = (...path: Array<string | number>) => ['operations', index, ...path];
      const issue = (message: string, ...path: Array<string | number>) =>
        context.addIssue({ code: 'custom', message, path: at(...path) });
      if (names.has(operation.name)) issue(`a second operation named ${operation.name}`, 'name');
      names.add(operation.name);
      checkParameters(operation, issue, spec.schemaDialect);
      const problem = jsonSchemaProblem(operation.response, spec.schemaDialect);
      if (problem) issue(problem, 'response');
      operation.outputFields.forEach((field, fieldIndex) => {
        try {
          parsePath(field);
        } catch (error) {
          issue((error as Error).message, 'outputFields', fieldIndex);
        }
      });
      const outputProblem = problem ? null : outputSchemaProblem(operation.response, operation.outputFields);
      if (outputProblem) issue(outputProblem, 'outputFields');
      const parameterNames = new Set(operation.parameters.map((parameter) => parameter.name));
      if (operation.customer && !parameterNames.has(operation.customer.parameter))
        issue(`names no parameter of ${operation.name}`, 'customer', 'parameter');
      if (operation.effect === 'write' && !operation.idempotency)
        issue('a write needs an idempotency key template, e.g. "order-cancel:{order_id}"', 'idempotency');
      if (operation.effect === 'read' && operation.idempotency)
        issue('only writes carry an idempotency key', 'idempotency');
      if (operation.effect === 'read' && operation.needsApproval)
        issue('only writes can need approval', 'needsApproval');
      if (operation.idempotency) {
        for (const name of placeholders(operation.idempotency.key))
          if (!parameterNames.has(name)) issue(`{${name}} names no parameter`, 'idempotency', 'key');
        if (reservedHeaders.has(operation.idempotency.header.toLowerCase()))
          issue('a header the connector sets itself', 'idempotency', 'header');
      }
    });
    if (JSON.stringify(spec).length > 512 * 1024)
      context.addIssue({ code: 'custom', message: 'the declaration is over 512 KB', path: [] });
  });
export type HttpConnectorSpec = z.infer<typeof httpConnectorSpecSchema>;

function checkParameters(
  operation: HttpOperationSpec,
  issue: (message: string, ...path: Array<string | number>) => void,
  dialect: HttpConnectorSpec['schemaDialect'],
): void {
  const seen = new Set<string>();
  const inPath = new Set(placeholders(operation.path));
  operation.parameters.forEach((parameter, index) => {
    if (seen.has(parameter.name))
      issue(`a second parameter named ${parameter.name}`, 'parameters', index, 'name');
    seen.add(parameter.name);
    const problem = jsonSchemaProblem(parameter.schema, dialect);
    if (problem) issue(problem, 'parameters', index, 'schema');
    if (parameter.in === 'path') {
      if (!inPath.has(parameter.name))
        issue(`the path has no {${parameter.name}}`, 'parameters', index, 'name');
      if (!parameter.required) issue('a path parameter is required', 'parameters', index, 'required');
    }
    if (parameter.in === 'header' && reservedHeaders.has(parameter.name.toLowerCase()))
      issue('a header the connector sets itself', 'parameters', index, 'name');
    if (parameter.in === 'body' && operation.method === 'GET')
      issue('a GET request has no body', 'parameters', index, 'in');
  });
  for (const name of inPath) {
    if (!operation.parameters.some((parameter) => parameter.in === 'path' && parameter.name === name))
      issue(`{${name}} has no path parameter`, 'path');
  }
}
