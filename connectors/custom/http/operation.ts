import { z } from 'zod';
import type { AnyOperationDefinition, CallerSession, OperationContext } from '../../core/definition.ts';
import { ConnectorError } from '../../core/errors.ts';
import { applyFieldRules } from '../../core/redaction.ts';
import type { HttpAuthenticator } from './auth.ts';
import { sendError, statusError } from './errors.ts';
import type { OutboundClient, OutboundResponse } from './outbound.ts';
import { allowedSchema, toZod } from './schemas.ts';
import { type HttpConnectorSpec, type HttpOperationSpec, placeholders } from './spec.ts';

/** Longest answer an operation reads (larger ones are refused, `permanent`). */
const maxResponseBytes = 2 * 1024 * 1024;

/** Finds the verified session's contact email (the `contactEmail` binding). */
export interface EmailDirectory {
  customerOf(session: CallerSession): Promise<{ email: string } | null>;
}

export interface OperationDeps {
  connectorId: string;
  spec: HttpConnectorSpec;
  client: OutboundClient;
  auth: HttpAuthenticator;
  directory?: EmailDirectory;
}

type Input = Record<string, unknown>;

/** The input schema: one member per parameter; the customer-bound one is filled from the session. */
function inputSchema(operation: HttpOperationSpec, dialect: HttpConnectorSpec['schemaDialect']) {
  const shape: Record<string, z.ZodType> = {};
  for (const parameter of operation.parameters) {
    let schema = toZod(parameter.schema, dialect);
    if (parameter.description) schema = schema.describe(parameter.description);
    const bound = operation.customer?.parameter === parameter.name;
    shape[parameter.name] = parameter.required && !bound ? schema : schema.optional();
  }
  return z.strictObject(shape);
}

const wireValue = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** Fills the natural key template from the input (`order-cancel:{order_id}` → `order-cancel:o_1`). */
const naturalKey = (template: string) => (input: Input) =>
  template.replace(/\{([^{}]+)\}/g, (_, name: string) => wireValue(input[name] ?? ''));

/** Builds the URL, headers and body of one call (input already bound and validated). */
function requestOf(operation: HttpOperationSpec, baseUrl: string, input: Input) {
  let path = operation.path;
  for (const name of placeholders(operation.path)) {
    const value = wireValue(input[name]);
    if (value === '' || value === '.' || value === '..')
      throw new ConnectorError('invalid_input', `${name}: not a usable path segment`);
    path = path.replaceAll(`{${name}}`, encodeURIComponent(value));
  }
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
  const headers: Record<string, string> = { accept: 'application/json' };
  const body: Record<string, unknown> = {};
  let hasBody = false;
  for (const parameter of operation.parameters) {
    const value = input[parameter.name];
    if (value === undefined) continue;
    if (parameter.in === 'query') {
      for (const item of Array.isArray(value) ? value : [value])
        url.searchParams.append(parameter.name, wireValue(item));
    } else if (parameter.in === 'header') {
      const text = wireValue(value);
      if (/[\r\n]/.test(text))
        throw new ConnectorError('invalid_input', `${parameter.name}: no line breaks in a header`);
      headers[parameter.name.toLowerCase()] = text;
    } else if (parameter.in === 'body') {
      body[parameter.name] = value;
      hasBody = true;
    }
  }
  if (hasBody) headers['content-type'] = 'application/json';
  return { url, headers, ...(hasBody ? { body: JSON.stringify(body) } : {}) };
}

/** The connector operation the pipeline runs for one declared HTTP operation. */
export function httpOperation(operation: HttpOperationSpec, deps: OperationDeps): AnyOperationDefinition {
  const { spec, client, auth, connectorId } = deps;
  const what = `${connectorId}.${operation.name}`;
  const response = toZod(operation.response, spec.schemaDialect);
  const binding = operation.customer;

  async function bind(input: Input, session: CallerSession): Promise<Input> {
    if (binding?.from !== 'contactEmail') return input;
    const entry = session.customer ? await deps.directory?.customerOf(session) : null;
    if (!entry?.email)
      throw new ConnectorError(
        'forbidden',
        `${what} needs the verified customer's email, and the session has none`,
      );
    const given = input[binding.parameter];
    if (
      given !== undefined &&
      (typeof given !== 'string' || given.trim().toLowerCase() !== entry.email.toLowerCase())
    )
      throw new ConnectorError('forbidden', `${binding.parameter} must be the verified customer's own email`);
    return { ...input, [binding.parameter]: entry.email };
  }

  async function send(input: Input, context: OperationContext): Promise<OutboundResponse> {
    const request = requestOf(operation, spec.baseUrl, input);
    if (operation.idempotency && context.idempotencyKey)
      request.headers[operation.idempotency.header.toLowerCase()] = context.idempotencyKey;
    Object.assign(request.headers, await auth.headers(context.signal));
    try {
      return await client.send({
        ...request,
        method: operation.method,
        signal: context.signal,
        maxBytes: maxResponseBytes,
      });
    } catch (error) {
      throw sendError(error, what, context.signal.aborted);
    }
  }

  function parse(answer: OutboundResponse): unknown {
    let body: unknown = null;
    if (answer.text.trim()) {
      try {
        body = JSON.parse(answer.text);
      } catch {
        throw new ConnectorError(
          'permanent',
          `${what} answered ${answer.status} with a body that is not JSON`,
        );
      }
    }
    const parsed = response.safeParse(body);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      throw new ConnectorError(
        'permanent',
        `${what} answered in a shape its schema does not allow: ${where.join('; ')}`,
      );
    }
    return parsed.data;
  }

  return {
    name: operation.name,
    description: operation.description,
    effect: operation.effect,
    input: inputSchema(operation, spec.schemaDialect),
    output: toZod(allowedSchema(operation.response, operation.outputFields), spec.schemaDialect),
    scopes: [],
    timeoutMs: operation.timeoutMs,
    ...(operation.idempotency ? { idempotencyKey: naturalKey(operation.idempotency.key) } : {}),
    ...(binding && binding.from !== 'contactEmail'
      ? { customerKey: { field: binding.parameter, from: binding.from } }
      : {}),
    ...(operation.needsApproval ? { mayNeedApproval: true, alwaysNeedsApproval: true } : {}),
    async run(input: Input, context: OperationContext) {
      const bound = await bind(input, context.session);
      const answer = await send(bound, context);
      if (answer.status < 200 || answer.status > 299) {
        if (answer.status === 401) auth.invalidate();
        throw statusError(answer.status, answer.headers, answer.text, what, auth.refreshable);
      }
      return applyFieldRules(parse(answer), { allow: operation.outputFields });
    },
  };
}
