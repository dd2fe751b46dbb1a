import SwaggerParser from '@apidevtools/swagger-parser';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { createOutboundClient, type OutboundPolicy } from './outbound.ts';
import type { JsonSchema } from './schemas.ts';
import { jsonSchemaProblem, outputSchemaProblem } from './schemas.ts';
import type { HttpAuth, HttpOperationSpec, HttpParameter } from './spec.ts';

/**
 * OpenAPI 3.x → a draft HTTP connector declaration (docs/custom-connectors.md, "Importing"): every
 * operation with its parameters, request body and 2xx response schemas, dereferenced by
 * swagger-parser with only local `$ref`s (an external one is refused, never followed), under size,
 * depth and cycle guards. The draft is for an admin to pick operations from and complete; nothing
 * is stored here.
 */

/** Largest document accepted (text or fetched), in bytes. */
export const maxDocumentBytes = 1024 * 1024;
/** Deepest nesting of the document. */
const maxDocumentDepth = 64;
/** Most `$ref`s a document may hold. */
const maxRefs = 5_000;
/** Most schema nodes the dereferenced operations may expand to (guards a reference fan-out). */
const maxExpandedNodes = 200_000;

/** The document cannot be imported; `path` names where (a JSON pointer, or `line:column` for YAML). */
export class OpenApiImportError extends Error {
  override name = 'OpenApiImportError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export interface OpenApiDraft {
  title: string;
  /** A declaration to complete: `{ baseUrl, schemaDialect, auth, operations }` (the `http` kind's spec). */
  spec: {
    baseUrl: string;
    schemaDialect: 'openapi-3.0' | 'draft-2020-12';
    auth: HttpAuth;
    operations: HttpOperationSpec[];
  };
  /** What was left out or guessed, for the admin to check. */
  warnings: string[];
}

const pointer = (path: Array<string | number>) =>
  `#/${path.map((segment) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/** Fetches a document from a URL under the outbound address rules; no redirects, size-capped. */
export async function fetchDocument(url: string, policy: OutboundPolicy): Promise<string> {
  const client = createOutboundClient(policy);
  try {
    const answer = await client.send({
      url: new URL(url),
      method: 'GET',
      headers: { accept: 'application/json, application/yaml, text/yaml, */*' },
      signal: AbortSignal.timeout(10_000),
      maxBytes: maxDocumentBytes,
    });
    if (answer.status !== 200) throw new OpenApiImportError(`the URL answered ${answer.status}`, 'url');
    return answer.text;
  } catch (error) {
    if (error instanceof OpenApiImportError) throw error;
    throw new OpenApiImportError(`could not be fetched: ${(error as Error).message}`, 'url');
  } finally {
    client.close();
  }
}

function parseText(text: string): unknown {
  if (Buffer.byteLength(text) > maxDocumentBytes)
    throw new OpenApiImportError(`the document is over ${maxDocumentBytes} bytes`, '(document)');
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new OpenApiImportError(`not valid JSON: ${(error as Error).message}`, '(document)');
    }
  }
  try {
    // Aliases are how a YAML document multiplies itself: few allowed.
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const at = error.linePos?.[0];
      throw new OpenApiImportError(
        error.message.split('\n')[0]!,
        at ? `line ${at.line}, column ${at.col}` : '(document)',
      );
    }
    throw new OpenApiImportError(`not valid YAML: ${(error as Error).message}`, '(document)');
  }
}

/** Refuses external `$ref`s (naming where), over-deep nesting and too many references. */
function guard(value: unknown, path: Array<string | number>, count: { refs: number }): void {
  if (path.length > maxDocumentDepth)
    throw new OpenApiImportError(`nested deeper than ${maxDocumentDepth} levels`, pointer(path));
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) guard(item, [...path, index], count);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, member] of Object.entries(value)) {
    if (key === '$ref' && typeof member === 'string') {
      if (!member.startsWith('#'))
        throw new OpenApiImportError(
          `external $ref "${member.slice(0, 200)}" is refused: inline it`,
          pointer([...path, key]),
        );
      if (++count.refs > maxRefs)
        throw new OpenApiImportError(`more than ${maxRefs} $refs`, pointer([...path, key]));
    }
    guard(member, [...path, key], count);
  }
}

/** Counts the nodes of a dereferenced value, refusing a reference fan-out that would not fit. */
function expanded(value: unknown, budget: { nodes: number }, depth = 0): void {
  if (++budget.nodes > maxExpandedNodes || depth > maxDocumentDepth * 2)
    throw new OpenApiImportError('the schemas expand to too much once references are resolved', '#/paths');
  if (Array.isArray(value)) for (const item of value) expanded(item, budget, depth + 1);
  else if (value && typeof value === 'object')
    for (const member of Object.values(value)) expanded(member, budget, depth + 1);
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Parses, checks and dereferences an OpenAPI 3.x document; returns the draft or throws OpenApiImportError. */
export async function importOpenApi(
  text: string,
  options: { sourceUrl?: string } = {},
): Promise<OpenApiDraft> {
  const parsed = parseText(text);
  if (!isObject(parsed)) throw new OpenApiImportError('an OpenAPI document is an object', '(document)');
  if (typeof parsed.openapi !== 'string' || !/^3\.[01]\.\d+$/.test(parsed.openapi))
    throw new OpenApiImportError('only OpenAPI 3.0 and 3.1 documents are imported', '#/openapi');
  guard(parsed, [], { refs: 0 });
  let document: Json;
  try {
    document = (await SwaggerParser.validate(
      structuredClone(parsed) as never,
      {
        resolve: { external: false, file: false, http: false },
        dereference: { circular: false },
      } as never,
    )) as unknown as Json;
  } catch (error) {
    const details = (error as { details?: Array<{ instancePath?: string; message?: string }> }).details;
    const first = details?.[0];
    if (first) throw new OpenApiImportError(first.message ?? 'invalid', `#${first.instancePath ?? ''}`);
    const message = (error as Error).message.split('\n');
    const located = message.slice(1).find((line) => line.trim().startsWith('#'));
    if (located) {
      const [where, ...rest] = located.trim().split(' ');
      throw new OpenApiImportError(rest.join(' '), where!);
    }
    const circular = /circular/i.test(message[0] ?? '');
    throw new OpenApiImportError(
      circular ? 'circular $refs cannot be turned into schemas' : (message[0] ?? 'invalid document'),
      circular ? '#/components' : '(document)',
    );
  }
  expanded(document.paths, { nodes: 0 });
  return draftOf(document, options.sourceUrl);
}

function draftOf(document: Json, sourceUrl: string | undefined): OpenApiDraft {
  const warnings: string[] = [];
  const dialect = String(document.openapi).startsWith('3.1') ? 'draft-2020-12' : 'openapi-3.0';
  const info = isObject(document.info) ? document.info : {};
  const operations: HttpOperationSpec[] = [];
  const names = new Set<string>();
  const paths = isObject(document.paths) ? document.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const parameters = [...asArray(item.parameters), ...asArray(operation.parameters)];
      const drafted = draftOperation({ method, path, operation, parameters, dialect, where, warnings });
      let name = drafted.name;
      for (let index = 2; names.has(name); index++) name = `${drafted.name.slice(0, 60)}_${index}`;
      names.add(name);
      operations.push({ ...drafted, name });
    }
  }
  return {
    title: typeof info.title === 'string' ? info.title.slice(0, 120) : 'Imported API',
    spec: {
      baseUrl: baseUrlOf(document, sourceUrl, warnings),
      schemaDialect: dialect,
      auth: authOf(document, warnings),
      operations,
    },
    warnings,
  };
}

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

function baseUrlOf(document: Json, sourceUrl: string | undefined, warnings: string[]): string {
  const server = asArray(document.servers)[0];
  let url = typeof server?.url === 'string' ? server.url : '/';
  const variables = isObject(server?.variables) ? server.variables : {};
  url = url.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const variable = variables[name];
    return isObject(variable) && typeof variable.default === 'string' ? variable.default : '';
  });
  try {
    return new URL(url, sourceUrl).toString().replace(/\/+$/, '');
  } catch {
    warnings.push(`servers[0].url "${url}" is not absolute: set baseUrl`);
    return url;
  }
}

/** The first security scheme we can use; secrets are vault fields, never in the draft. */
function authOf(document: Json, warnings: string[]): HttpAuth {
  const components = isObject(document.components) ? document.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  for (const [name, scheme] of Object.entries(schemes)) {
    if (!isObject(scheme)) continue;
    if (scheme.type === 'apiKey' && scheme.in === 'header' && typeof scheme.name === 'string')
      return { type: 'api_key', header: scheme.name };
    if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') return { type: 'bearer' };
    if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') return { type: 'basic' };
    const flows = isObject(scheme.flows) ? scheme.flows : {};
    const credentials = isObject(flows.clientCredentials) ? flows.clientCredentials : null;
    if (scheme.type === 'oauth2' && credentials && typeof credentials.tokenUrl === 'string')
      return {
        type: 'oauth2_client_credentials',
        tokenUrl: credentials.tokenUrl,
        scopes: Object.keys(isObject(credentials.scopes) ? credentials.scopes : {}),
      };
    warnings.push(
      `security scheme ${name} (${String(scheme.type)}) is not supported: choose the auth by hand`,
    );
  }
  return { type: 'none' };
}

/** `getOrderStatus` → `get_order_status`. */
function snakeName(text: string): string {
  const name = text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
    .slice(0, 64);
  return /^[a-z][a-z0-9_]{1,63}$/.test(name) ? name : `op_${name}`.slice(0, 64);
}

/** A parameter the session fills, guessed from its name (the admin confirms it). */
function bindingOf(name: string): HttpOperationSpec['customer'] {
  if (/^(customer_?|contact_?)?email$/i.test(name)) return { parameter: name, from: 'contactEmail' };
  if (/^account_?id$/i.test(name)) return { parameter: name, from: 'accountId' };
  if (/^(contact|customer)_?id$/i.test(name)) return { parameter: name, from: 'contactId' };
  return undefined;
}

const usableSchema = (
  schema: unknown,
  dialect: OpenApiDraft['spec']['schemaDialect'],
  what: string,
  warnings: string[],
): JsonSchema => {
  if (!isObject(schema)) return {};
  const problem = jsonSchemaProblem(schema, dialect);
  if (!problem) return schema;
  warnings.push(`${what}: ${problem}; accepted as any value`);
  return {};
};

function draftOperation(options: {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operation: Json;
  parameters: Json[];
  dialect: OpenApiDraft['spec']['schemaDialect'];
  where: string;
  warnings: string[];
}): HttpOperationSpec {
  const { method, path, operation, dialect, where, warnings } = options;
  const byKey = new Map<string, Json>();
  for (const parameter of options.parameters) byKey.set(`${parameter.in}:${parameter.name}`, parameter);
  const parameters: HttpParameter[] = [];
  for (const parameter of byKey.values()) {
    const name = String(parameter.name);
    const location = parameter.in;
    if (location !== 'path' && location !== 'query' && location !== 'header') {
      warnings.push(`${where}: ${String(location)} parameter ${name} is not imported`);
      continue;
    }
    if (
      !/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(name) ||
      (location === 'header' && /^(authorization|cookie|host|content-type|content-length)$/i.test(name))
    ) {
      warnings.push(
        `${where}: parameter ${name} is not imported (its name cannot be an input field, or the connector sets it)`,
      );
      continue;
    }
    parameters.push({
      name,
      in: location,
      required: location === 'path' || parameter.required === true,
      schema: usableSchema(parameter.schema, dialect, `${where} parameter ${name}`, warnings),
      ...(typeof parameter.description === 'string'
        ? { description: parameter.description.slice(0, 1000) }
        : {}),
    });
  }
  const body = isObject(operation.requestBody) ? operation.requestBody : null;
  const bodySchema = jsonContent(body?.content);
  if (body && method !== 'get') {
    const properties = isObject(bodySchema?.properties) ? bodySchema.properties : null;
    if (!properties)
      warnings.push(
        `${where}: the request body is not a JSON object with properties; add body parameters by hand`,
      );
    const required = Array.isArray(bodySchema?.required) ? (bodySchema.required as string[]) : [];
    for (const [name, schema] of Object.entries(properties ?? {})) {
      if (
        parameters.some((parameter) => parameter.name === name) ||
        !/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(name)
      ) {
        warnings.push(`${where}: body field ${name} is not imported (name clash or unusable name)`);
        continue;
      }
      parameters.push({
        name,
        in: 'body',
        required: required.includes(name),
        schema: usableSchema(schema, dialect, `${where} body field ${name}`, warnings),
      });
    }
  }
  const response = successSchema(operation.responses, dialect, where, warnings);
  const effect = method === 'get' ? 'read' : 'write';
  const name = snakeName(
    typeof operation.operationId === 'string' ? operation.operationId : `${method}_${path}`,
  );
  const customer = parameters.map((parameter) => bindingOf(parameter.name)).find(Boolean);
  const keyParts = parameters
    .filter((parameter) => parameter.required && parameter.in !== 'header')
    .map((parameter) => `{${parameter.name}}`);
  const description =
    [operation.summary, operation.description]
      .filter((text): text is string => typeof text === 'string')
      .join(' — ')
      .slice(0, 2000) || where;
  return {
    name,
    description,
    method: method.toUpperCase() as HttpOperationSpec['method'],
    path,
    parameters,
    effect,
    ...(customer ? { customer } : {}),
    response,
    outputFields: outputFieldsOf(response, where, warnings),
    ...(effect === 'write'
      ? { idempotency: { key: [name, ...keyParts].join(':'), header: 'Idempotency-Key' } }
      : {}),
    timeoutMs: 10_000,
    needsApproval: false,
  };
}

function jsonContent(content: unknown): Json | null {
  if (!isObject(content)) return null;
  const key = Object.keys(content).find((type) => /^application\/([a-z.+-]*\+)?json/i.test(type));
  const media = key ? content[key] : null;
  return isObject(media) && isObject(media.schema) ? media.schema : null;
}

function successSchema(
  responses: unknown,
  dialect: OpenApiDraft['spec']['schemaDialect'],
  where: string,
  warnings: string[],
): JsonSchema {
  if (!isObject(responses)) return {};
  const code = Object.keys(responses)
    .filter((status) => /^2(\d\d|XX)$/i.test(status))
    .sort()[0];
  if (!code) {
    warnings.push(`${where}: no 2xx response is described; any answer is accepted`);
    return {};
  }
  const answer = responses[code];
  return usableSchema(
    isObject(answer) ? jsonContent(answer.content) : null,
    dialect,
    `${where} response ${code}`,
    warnings,
  );
}

const plainName = (name: string) => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name);

/** Every top-level field of the answer (of its items, for a list), for the admin to trim. */
function outputFieldsOf(response: JsonSchema, where: string, warnings: string[]): string[] {
  const properties = isObject(response.properties) ? Object.keys(response.properties) : [];
  const items =
    isObject(response.items) && isObject(response.items.properties)
      ? Object.keys(response.items.properties)
      : [];
  const fields = properties.length
    ? properties.filter(plainName)
    : items.filter(plainName).map((name) => `[].${name}`);
  if (fields.length === 0 || outputSchemaProblem(response, fields)) {
    warnings.push(`${where}: the answer has no named fields; list outputFields by hand`);
    return [];
  }
  return fields;
}
