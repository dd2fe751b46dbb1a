import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A failure the fake answers with instead of a completion. */
export type FakeChatFault = '429' | '500' | 'garbage';

/** What the fake answers an accepted request with: the assistant's text, a fuller answer, or a fault. */
export type FakeChatAnswer =
  | string
  | {
      content: string | null;
      toolCalls?: Array<{ name: string; arguments: string }>;
      finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
      usage?: { promptTokens: number; completionTokens: number };
    }
  | { fault: FakeChatFault; retryAfterSeconds?: number };

/** A request the fake accepted (validated), for assertions. */
export interface RecordedChatRequest {
  path: string;
  authorization: string;
  model: string;
  messages: Array<{ role: string; content: unknown; [field: string]: unknown }>;
  responseFormat?: {
    type: string;
    json_schema?: { name: string; schema: JsonSchema; strict?: boolean | null };
  };
  tools?: Array<{ type: 'function'; function: { name: string; parameters?: JsonSchema; strict?: boolean } }>;
  body: Record<string, unknown>;
}

/** A running fake of the OpenAI Chat Completions endpoint. */
export interface FakeOpenAIChat {
  /** Server root (`http://127.0.0.1:<port>`); the API lives under `/v1`. */
  url: string;
  apiKey: string;
  /** Accepted requests, in order (faulted ones included: they were valid). */
  requests: RecordedChatRequest[];
  /** Requests refused as invalid (400/401/404), with the reason, in order. */
  rejected: Array<{ status: number; message: string; param: string | null }>;
  /** Answers the next `times` accepted requests with a fault, before `respond` is asked. */
  failNext(fault: FakeChatFault, times?: number, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

type JsonSchema = Record<string, unknown>;

const routes = new Set(['/v1/chat/completions', '/chat/completions']);
const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const allowedFields = new Set(
  'messages model audio frequency_penalty function_call functions logit_bias logprobs max_completion_tokens max_tokens metadata modalities n parallel_tool_calls prediction presence_penalty prompt_cache_key prompt_cache_retention reasoning_effort response_format safety_identifier seed service_tier stop store stream stream_options temperature tool_choice tools top_logprobs top_p user verbosity web_search_options'.split(
    ' ',
  ),
);
const namePattern = /^[a-zA-Z0-9_-]{1,64}$/;

class Invalid extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/**
 * Starts a local fake of `POST /v1/chat/completions` that validates requests as the OpenAI API
 * reference defines them (Bearer auth; JSON body with `model` and `messages[{ role, content }]`;
 * `response_format` text / json_object / json_schema `{ name, schema, strict? }` with the strict-mode
 * schema rules; function `tools` and `tool_choice`; no unknown fields) and answers in the
 * `chat.completion` shape with what `respond` returns. Invalid requests get OpenAI's error JSON.
 * Streaming is not implemented (refused with a 400 that says so).
 * https://platform.openai.com/docs/api-reference/chat/create
 * https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
 */
export async function startFakeOpenAIChat(options: {
  respond: (request: RecordedChatRequest) => FakeChatAnswer | Promise<FakeChatAnswer>;
  apiKey?: string;
  models?: string[];
}): Promise<FakeOpenAIChat> {
  const apiKey = options.apiKey ?? 'test-key';
  const models = new Set(options.models ?? ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1']);
  const requests: RecordedChatRequest[] = [];
  const rejected: FakeOpenAIChat['rejected'] = [];
  const faults: Array<{ fault: FakeChatFault; retryAfterSeconds?: number }> = [];
  let completions = 0;

  const fail = (
    response: ServerResponse,
    status: number,
    message: string,
    options: { type?: string; code?: string | null; param?: string | null } = {},
  ) => {
    if (status < 429) rejected.push({ status, message, param: options.param ?? null });
    send(response, status, {
      error: {
        message,
        type: options.type ?? 'invalid_request_error',
        param: options.param ?? null,
        code: options.code ?? null,
      },
    });
  };

  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const path = (request.url ?? '').split('?')[0]!;
    if (request.method !== 'POST' || !routes.has(path))
      return fail(response, 404, `Invalid URL (${request.method} ${request.url})`);
    const authorization = request.headers.authorization ?? '';
    if (!authorization.startsWith('Bearer '))
      return fail(response, 401, "You didn't provide an API key. Provide it in the Authorization header.");
    if (authorization !== `Bearer ${apiKey}`)
      return fail(response, 401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json'))
      return fail(response, 400, 'Content-Type must be application/json');
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return fail(response, 400, 'We could not parse the JSON body of your request.');
    }
    let recorded: RecordedChatRequest;
    try {
      recorded = validate(payload, path, authorization);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      return fail(response, 400, error.message, { param: error.param });
    }
    if (!models.has(recorded.model)) {
      return fail(
        response,
        404,
        `The model \`${recorded.model}\` does not exist or you do not have access to it.`,
        {
          code: 'model_not_found',
          param: 'model',
        },
      );
    }
    requests.push(recorded);
    const queued = faults.shift();
    const answer = queued ?? (await options.respond(recorded));
    if (typeof answer === 'object' && answer !== null && 'fault' in answer) {
      if (answer.fault === '429') {
        response.setHeader('retry-after', String(answer.retryAfterSeconds ?? 0));
        return fail(response, 429, 'Rate limit reached for requests', {
          type: 'requests',
          code: 'rate_limit_exceeded',
        });
      }
      if (answer.fault === '500')
        return fail(response, 500, 'The server had an error while processing your request.', {
          type: 'server_error',
        });
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end('{"id":"chatcmpl-garbage","object":"chat.completion","choices":[{"index":0,"mess');
    }
    const reply = typeof answer === 'string' ? { content: answer } : answer;
    const toolCalls = reply.toolCalls?.map((call, index) => ({
      id: `call_${completions + 1}_${index}`,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
    const promptTokens = reply.usage?.promptTokens ?? countTokens(JSON.stringify(recorded.messages));
    const completionTokens =
      reply.usage?.completionTokens ??
      countTokens(`${reply.content ?? ''}${JSON.stringify(toolCalls ?? '')}`);
    completions += 1;
    const choices = Array.from({ length: Number(payload.n ?? 1) }, (_, index) => ({
      index,
      message: {
        role: 'assistant',
        content: reply.content,
        refusal: null,
        ...(toolCalls?.length ? { tool_calls: toolCalls } : {}),
      },
      logprobs: null,
      finish_reason: reply.finishReason ?? (toolCalls?.length ? 'tool_calls' : 'stop'),
    }));
    send(response, 200, {
      id: `chatcmpl-fake${String(completions).padStart(6, '0')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: recorded.model,
      system_fingerprint: 'fp_fake',
      choices,
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    rejected,
    failNext(fault, times = 1, retryAfterSeconds) {
      for (let i = 0; i < times; i++)
        faults.push({ fault, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function validate(
  payload: Record<string, unknown>,
  path: string,
  authorization: string,
): RecordedChatRequest {
  for (const key of Object.keys(payload))
    if (!allowedFields.has(key)) throw new Invalid(`Unrecognized request argument supplied: ${key}`);
  if (typeof payload.model !== 'string' || !payload.model)
    throw new Invalid("'model' is a required property", 'model');
  if (payload.stream === true)
    throw new Invalid('This fake does not implement streaming (stream: true).', 'stream');
  const messages = payload.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new Invalid("'messages' must be a non-empty array", 'messages');
  messages.forEach(validateMessage);
  for (const [field, min, max] of [
    ['temperature', 0, 2],
    ['top_p', 0, 1],
    ['frequency_penalty', -2, 2],
    ['presence_penalty', -2, 2],
  ] as const) {
    const value = payload[field];
    if (value !== undefined && (typeof value !== 'number' || value < min || value > max))
      throw new Invalid(`'${field}' must be a number between ${min} and ${max}`, field);
  }
  for (const field of ['max_tokens', 'max_completion_tokens', 'n'] as const) {
    const value = payload[field];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1))
      throw new Invalid(`'${field}' must be a positive integer`, field);
  }
  const tools = validateTools(payload.tools, payload.tool_choice);
  const responseFormat = validateResponseFormat(payload.response_format, messages);
  return {
    path,
    authorization,
    model: payload.model,
    messages: messages as RecordedChatRequest['messages'],
    ...(responseFormat ? { responseFormat } : {}),
    ...(tools ? { tools } : {}),
    body: payload,
  };
}

function validateMessage(message: unknown, index: number): void {
  const param = `messages[${index}]`;
  if (typeof message !== 'object' || message === null)
    throw new Invalid(`'${param}' must be an object`, param);
  const { role, content } = message as Record<string, unknown>;
  if (typeof role !== 'string' || !roles.has(role))
    throw new Invalid(
      `Invalid value: '${String(role)}'. Supported values are: ${[...roles].map((item) => `'${item}'`).join(', ')}.`,
      `${param}.role`,
    );
  const hasToolCalls = role === 'assistant' && Array.isArray((message as Record<string, unknown>).tool_calls);
  if ((content === null || content === undefined) && hasToolCalls) return;
  if (typeof content === 'string') return;
  if (!Array.isArray(content) || content.length === 0)
    throw new Invalid(
      `Invalid type for '${param}.content': expected a string or an array of content parts.`,
      `${param}.content`,
    );
  const partTypes = role === 'user' ? ['text', 'image_url', 'input_audio', 'file'] : ['text', 'refusal'];
  for (const part of content as Array<Record<string, unknown>>) {
    if (!partTypes.includes(String(part?.type)))
      throw new Invalid(
        `Invalid content part type '${String(part?.type)}' for role '${role}'.`,
        `${param}.content`,
      );
    if (part.type === 'text' && typeof part.text !== 'string')
      throw new Invalid("A 'text' content part needs a string 'text'.", `${param}.content`);
  }
  if (role === 'tool' && typeof (message as Record<string, unknown>).tool_call_id !== 'string')
    throw new Invalid("Missing required parameter: 'tool_call_id'.", `${param}.tool_call_id`);
}

function validateTools(tools: unknown, toolChoice: unknown): RecordedChatRequest['tools'] {
  if (tools === undefined) {
    if (toolChoice !== undefined && toolChoice !== 'none')
      throw new Invalid("'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
    return undefined;
  }
  if (!Array.isArray(tools) || tools.length === 0)
    throw new Invalid("'tools' must be a non-empty array", 'tools');
  const names = tools.map((tool: Record<string, unknown>, index) => {
    const fn = tool?.function as Record<string, unknown> | undefined;
    if (tool?.type !== 'function' || !fn)
      throw new Invalid("Each tool needs type 'function' and a 'function'", `tools[${index}]`);
    if (typeof fn.name !== 'string' || !namePattern.test(fn.name))
      throw new Invalid("'function.name' must match ^[a-zA-Z0-9_-]{1,64}$", `tools[${index}].function.name`);
    if (fn.parameters !== undefined && fn.strict === true)
      strictSchemaProblem(fn.parameters as JsonSchema, `tools[${index}].function.parameters`);
    return fn.name;
  });
  if (typeof toolChoice === 'string' && !['none', 'auto', 'required'].includes(toolChoice))
    throw new Invalid("'tool_choice' must be 'none', 'auto', 'required' or a named function", 'tool_choice');
  if (typeof toolChoice === 'object' && toolChoice !== null) {
    const name = (toolChoice as { function?: { name?: string } }).function?.name;
    if (!name || !names.includes(name))
      throw new Invalid(
        `'tool_choice' names a function that is not among 'tools': ${String(name)}`,
        'tool_choice',
      );
  }
  return tools as RecordedChatRequest['tools'];
}

function validateResponseFormat(format: unknown, messages: unknown[]): RecordedChatRequest['responseFormat'] {
  if (format === undefined) return undefined;
  const { type, json_schema: jsonSchema } = (format ?? {}) as Record<string, unknown>;
  if (type === 'text') return { type };
  if (type === 'json_object') {
    if (!/json/i.test(JSON.stringify(messages)))
      throw new Invalid(
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        'messages',
      );
    return { type };
  }
  if (type !== 'json_schema')
    throw new Invalid(
      "'response_format.type' must be one of 'text', 'json_object', 'json_schema'",
      'response_format.type',
    );
  const spec = jsonSchema as { name?: unknown; schema?: unknown; strict?: unknown } | undefined;
  if (!spec || typeof spec.name !== 'string' || !namePattern.test(spec.name))
    throw new Invalid(
      "'response_format.json_schema.name' must match ^[a-zA-Z0-9_-]{1,64}$",
      'response_format.json_schema.name',
    );
  if (typeof spec.schema !== 'object' || spec.schema === null)
    throw new Invalid(
      "'response_format.json_schema.schema' must be an object",
      'response_format.json_schema.schema',
    );
  if (spec.strict === true) {
    if ((spec.schema as JsonSchema).type !== 'object')
      throw new Invalid(
        "Invalid schema for response_format: the root must be of type 'object'.",
        'response_format',
      );
    strictSchemaProblem(spec.schema as JsonSchema, 'response_format');
  }
  return {
    type,
    json_schema: {
      name: spec.name,
      schema: spec.schema as JsonSchema,
      ...(typeof spec.strict === 'boolean' ? { strict: spec.strict } : {}),
    },
  };
}

/** Strict mode: every object sets `additionalProperties: false` and lists all its properties as required. */
function strictSchemaProblem(schema: JsonSchema, param: string, at = 'root'): void {
  const types = ([] as unknown[]).concat(schema.type ?? []);
  if (types.includes('object') || schema.properties) {
    if (schema.additionalProperties !== false)
      throw new Invalid(
        `Invalid schema for ${param}: In context=('${at}'), 'additionalProperties' is required to be supplied and to be false.`,
        param,
      );
    const properties = Object.keys((schema.properties as Record<string, unknown>) ?? {});
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const missing = properties.find((property) => !required.has(property));
    if (missing)
      throw new Invalid(
        `Invalid schema for ${param}: In context=('${at}'), 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`,
        param,
      );
    for (const [name, child] of Object.entries((schema.properties as Record<string, JsonSchema>) ?? {}))
      strictSchemaProblem(child, param, `${at}.${name}`);
  }
  if (schema.items && typeof schema.items === 'object')
    strictSchemaProblem(schema.items as JsonSchema, param, `${at}[]`);
  for (const key of ['anyOf', 'allOf'] as const)
    for (const [index, child] of ((schema[key] as JsonSchema[] | undefined) ?? []).entries())
      strictSchemaProblem(child, param, `${at}.${key}[${index}]`);
}

/** A rough, deterministic token count (≈ words), enough for usage accounting tests. */
const countTokens = (text: string) => Math.max(1, text.split(/\s+/).filter(Boolean).length);

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
