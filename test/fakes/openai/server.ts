import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A failure the fake answers with instead of embeddings. */
export type FakeOpenAIFault = '429' | '500' | 'malformed' | 'wrong-dimensions';

/** A request the fake accepted (validated), for assertions. */
export interface RecordedEmbeddingRequest {
  model: string;
  inputs: string[];
  encodingFormat?: string;
  dimensions?: number;
}

/** A running fake of the OpenAI embeddings endpoint. */
export interface FakeOpenAI {
  /** Base URL to give the client (`http://127.0.0.1:<port>/v1`). */
  baseURL: string;
  apiKey: string;
  /** Accepted embedding requests, in order. */
  requests: RecordedEmbeddingRequest[];
  /** Requests refused as invalid (400/401/404), with the reason, in order. */
  rejected: Array<{ status: number; message: string }>;
  /** Answers the next `times` requests with a fault. */
  failNext(fault: FakeOpenAIFault, times?: number): void;
  close(): Promise<void>;
}

const knownModels: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
const allowedFields = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);

/**
 * Starts a local fake of `POST /v1/embeddings` that validates requests as the OpenAI API reference
 * defines them (Bearer auth, JSON body `{ model, input: string | string[], encoding_format?,
 * dimensions?, user? }`, at most 2048 inputs, no empty strings) and answers with deterministic
 * hashed bag-of-words vectors, so similar texts get similar vectors.
 * https://platform.openai.com/docs/api-reference/embeddings/create
 */
export async function startFakeOpenAI(options: { apiKey?: string } = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? 'sk-test-fake-key';
  const requests: RecordedEmbeddingRequest[] = [];
  const rejected: FakeOpenAI['rejected'] = [];
  const faults: FakeOpenAIFault[] = [];

  const fail = (
    response: ServerResponse,
    status: number,
    message: string,
    type = 'invalid_request_error',
    code: string | null = null,
  ) => {
    if (status < 429) rejected.push({ status, message });
    send(response, status, { error: { message, type, param: null, code } });
  };

  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    if (request.method !== 'POST' || request.url !== '/v1/embeddings')
      return fail(response, 404, `Unknown route ${request.method} ${request.url}`);
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return fail(response, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json'))
      return fail(response, 400, 'Content-Type must be application/json');
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return fail(response, 400, 'We could not parse the JSON body of your request.');
    }
    const problem = validate(payload);
    if (problem) return fail(response, 400, problem);
    const inputs = typeof payload.input === 'string' ? [payload.input] : (payload.input as string[]);
    const dimensions = (payload.dimensions as number | undefined) ?? knownModels[payload.model as string]!;
    requests.push({
      model: payload.model as string,
      inputs,
      ...(payload.encoding_format ? { encodingFormat: payload.encoding_format as string } : {}),
      ...(payload.dimensions ? { dimensions: payload.dimensions as number } : {}),
    });
    const fault = faults.shift();
    if (fault === '429') {
      response.setHeader('retry-after', '0');
      return fail(response, 429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded');
    }
    if (fault === '500')
      return fail(response, 500, 'The server had an error while processing your request.', 'server_error');
    if (fault === 'malformed') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end('{"object":"list","data":[{"object":"embedding","index":0,"embedding":"oops"}');
    }
    const size = fault === 'wrong-dimensions' ? dimensions - 1 : dimensions;
    send(response, 200, {
      object: 'list',
      data: inputs.map((input, index) => ({
        object: 'embedding',
        index,
        embedding: hashedEmbedding(input, size),
      })),
      model: payload.model,
      usage: {
        prompt_tokens: inputs.join(' ').split(/\s+/).length,
        total_tokens: inputs.join(' ').split(/\s+/).length,
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    rejected,
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function validate(payload: Record<string, unknown>): string | null {
  for (const key of Object.keys(payload))
    if (!allowedFields.has(key)) return `Unrecognized request argument supplied: ${key}`;
  if (typeof payload.model !== 'string' || !payload.model) return "'model' is a required property";
  if (!(payload.model in knownModels))
    return `The model \`${payload.model}\` does not exist or you do not have access to it.`;
  const input = payload.input;
  if (input === undefined) return "'input' is a required property";
  const inputs = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(inputs) || inputs.length === 0)
    return "'input' must be a non-empty string or array of strings";
  if (inputs.length > 2048) return "'input' must have at most 2048 items";
  if (!inputs.every((item) => typeof item === 'string' && item.length > 0))
    return "'input' items must be non-empty strings";
  if (
    payload.encoding_format !== undefined &&
    payload.encoding_format !== 'float' &&
    payload.encoding_format !== 'base64'
  ) {
    return "'encoding_format' must be one of 'float', 'base64'";
  }
  if (
    payload.dimensions !== undefined &&
    (!Number.isInteger(payload.dimensions) || (payload.dimensions as number) < 1)
  ) {
    return "'dimensions' must be a positive integer";
  }
  if (payload.user !== undefined && typeof payload.user !== 'string') return "'user' must be a string";
  return null;
}

/** Deterministic unit vector: each word adds ±1 to a few hashed dimensions. */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? ['empty']) {
    const digest = createHash('sha256').update(word).digest();
    for (let i = 0; i < 3; i++) {
      const slot = digest.readUInt32BE(i * 4) % dimensions;
      vector[slot]! += digest[16 + i]! % 2 === 0 ? 1 : -1;
    }
  }
  const length = Math.hypot(...vector) || 1;
  return vector.map((value) => value / length);
}

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
