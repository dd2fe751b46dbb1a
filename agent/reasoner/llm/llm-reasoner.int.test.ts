import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, NoObjectGeneratedError, RetryError } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeChatAnswer,
  type FakeOpenAIChat,
  type RecordedChatRequest,
  startFakeOpenAIChat,
} from '../../../test/fakes/openai/chat-server.ts';
import type { UnderstandingContext } from '../reasoner.ts';
import { createLlmReasoner } from './llm-reasoner.ts';

const context: UnderstandingContext = { now: new Date('2026-11-20T09:00:00Z'), timezone: 'Europe/Berlin' };
const duplicateCharge = {
  intent: 'billing.duplicate_charge',
  confidence: 0.94,
  additional_intents: [],
  slots: {
    invoice_id: 'INV-1001',
    payment_id: null,
    ticket_id: null,
    booking_id: null,
    plan: null,
    preferred_time: null,
    email: null,
    phone: null,
    name: null,
    title: null,
    description: null,
    amount_cents: 9900,
  },
  wants_human: false,
  frustration: 1,
  injection: false,
  affirmative: false,
  negative: false,
};
const message = 'Hi, I was charged twice ($99) for INV-1001 this month. Please fix it.';

describe('createLlmReasoner over OpenAI Chat Completions (local fake)', () => {
  let fake: FakeOpenAIChat;
  let answer: (request: RecordedChatRequest) => FakeChatAnswer;
  const reasonerWith = (settings: { apiKey?: string; maxRetries?: number } = {}) =>
    createLlmReasoner({
      model: createOpenAI({ baseURL: `${fake.url}/v1`, apiKey: settings.apiKey ?? 'test-key' }).chat(
        'gpt-4o-mini',
      ),
      pricing: { input: 0.15, output: 0.6 },
      ...(settings.maxRetries === undefined ? {} : { maxRetries: settings.maxRetries }),
    });

  beforeAll(async () => {
    fake = await startFakeOpenAIChat({ respond: (request) => answer(request) });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.rejected.length = 0;
    answer = () => JSON.stringify(duplicateCharge);
  });

  it('understands a duplicate-charge message from a strict json_schema completion', async () => {
    const reasoner = reasonerWith();
    const understanding = await reasoner.understand(message, context);
    expect(understanding.intents).toEqual([{ intent: 'billing.duplicate_charge', confidence: 0.94 }]);
    expect(understanding.slots).toMatchObject({ invoice_id: 'INV-1001', amount_cents: '9900' });
    expect(fake.rejected).toEqual([]);
    const [request] = fake.requests;
    expect(request).toMatchObject({
      path: '/v1/chat/completions',
      authorization: 'Bearer test-key',
      model: 'gpt-4o-mini',
    });
    expect(request!.messages[0]).toMatchObject({ role: 'system' });
    expect(request!.messages[0]!.content).toMatch(/Lumen Cloud support assistant/);
    expect(request!.messages[1]).toMatchObject({ role: 'user' });
    expect(JSON.stringify(request!.messages[1]!.content)).toContain('charged twice');
    // The fake checked OpenAI's strict-mode rules on this schema (all keys required, no extra keys).
    expect(request!.responseFormat).toMatchObject({
      type: 'json_schema',
      json_schema: {
        name: 'response',
        strict: true,
        schema: { type: 'object', additionalProperties: false },
      },
    });
    expect(understanding.usage!.inputTokens).toBeGreaterThan(0);
    expect(reasoner.usage().inputTokens).toBe(understanding.usage!.inputTokens);
  });

  it('phrases with plain text, counts the reported usage and keeps the grounded rephrasing', async () => {
    answer = () => ({
      content: 'Good news: the $99.00 duplicate on INV-1001 is refunded.',
      usage: { promptTokens: 80, completionTokens: 20 },
    });
    const reasoner = reasonerWith();
    const phrased = await reasoner.phrase({ text: 'Refunded $99.00 for INV-1001.', facts: {} });
    expect(phrased).toEqual({
      text: 'Good news: the $99.00 duplicate on INV-1001 is refunded.',
      usage: { inputTokens: 80, outputTokens: 20 },
    });
    expect(fake.requests[0]!.responseFormat).toBeUndefined();
    expect(reasoner.usage().costUsd).toBeCloseTo((80 * 0.15 + 20 * 0.6) / 1_000_000, 12);
  });

  // AI SDK 6 retries a retryable APICallError (5xx, 429) up to maxRetries (default 2) with exponential
  // backoff starting at 2 s, unless the response carries retry-after / retry-after-ms.
  it('retries a 500 and then succeeds (AI SDK default maxRetries, ~2 s backoff)', async () => {
    fake.failNext('500');
    const understanding = await reasonerWith().understand(message, context);
    expect(understanding.intents[0]!.intent).toBe('billing.duplicate_charge');
    expect(fake.requests).toHaveLength(2);
  }, 15_000);

  it('honours Retry-After on a 429 instead of the 2 s backoff', async () => {
    fake.failNext('429', 1, 0);
    const started = performance.now();
    await reasonerWith().understand(message, context);
    // Well under the 2 s the SDK would otherwise wait (the margin absorbs a busy machine).
    expect(performance.now() - started).toBeLessThan(1900);
    expect(fake.requests).toHaveLength(2);
  });

  it('surfaces a RetryError naming the last server error when every attempt fails', async () => {
    fake.failNext('500', 2);
    const error = await reasonerWith({ maxRetries: 1 })
      .understand(message, context)
      .catch((caught: unknown) => caught);
    expect(RetryError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Failed after 2 attempts.*server had an error/s);
    expect(fake.requests).toHaveLength(2);
  });

  it('surfaces the APICallError at once with retries off', async () => {
    fake.failNext('500');
    const error = await reasonerWith({ maxRetries: 0 })
      .understand(message, context)
      .catch((caught: unknown) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 500, isRetryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('fails on a garbage HTTP body without retrying (a 200 is not retryable)', async () => {
    fake.failNext('garbage');
    const error = await reasonerWith()
      .understand(message, context)
      .catch((caught: unknown) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('Invalid JSON response');
    expect(fake.requests).toHaveLength(1);
  });

  it('fails with NoObjectGeneratedError when the completion content is not the schema JSON', async () => {
    answer = () => 'Sure! The customer was double charged.';
    const error = await reasonerWith()
      .understand(message, context)
      .catch((caught: unknown) => caught);
    expect(NoObjectGeneratedError.isInstance(error)).toBe(true);
    expect((error as NoObjectGeneratedError).text).toBe('Sure! The customer was double charged.');
  });

  it('surfaces a 401 from a wrong key without retrying', async () => {
    const error = await reasonerWith({ apiKey: 'wrong-key' })
      .understand(message, context)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
    expect((error as Error).message).toMatch(/Incorrect API key/);
    expect(fake.requests).toHaveLength(0);
  });
});

/** The parts of a chat.completion or an error body these tests read. */
interface ResponseBody {
  id: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('startFakeOpenAIChat request validation', () => {
  let fake: FakeOpenAIChat;
  beforeAll(async () => {
    fake = await startFakeOpenAIChat({ respond: () => '{"ok":true}' });
  });
  afterAll(() => fake.close());

  const post = async (body: unknown, path = '/v1/chat/completions', key = 'test-key') => {
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as ResponseBody };
  };
  const strictFormat = (schema: Record<string, unknown>) => ({
    type: 'json_schema',
    json_schema: { name: 'understanding', strict: true, schema },
  });
  const messages = [{ role: 'user', content: 'hello' }];

  it('answers a valid request in the chat.completion shape, also without the /v1 prefix', async () => {
    const { status, body } = await post({ model: 'gpt-4o-mini', messages }, '/chat/completions');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: '{"ok":true}' }, finish_reason: 'stop' }],
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it.each([
    ['no messages', { model: 'gpt-4o-mini', messages: [] }, 'messages'],
    ['no model', { messages }, 'model'],
    ['a bad role', { model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    ['an unknown field', { model: 'gpt-4o-mini', messages, temprature: 0 }, null],
    [
      'a strict schema allowing extra keys',
      {
        model: 'gpt-4o-mini',
        messages,
        response_format: strictFormat({
          type: 'object',
          properties: { a: { type: 'string' } },
          required: ['a'],
        }),
      },
      'response_format',
    ],
    [
      'a strict schema with an optional key',
      {
        model: 'gpt-4o-mini',
        messages,
        response_format: strictFormat({
          type: 'object',
          properties: { a: { type: 'string' }, b: { type: 'string' } },
          required: ['a'],
          additionalProperties: false,
        }),
      },
      'response_format',
    ],
    [
      'json_object without the word',
      { model: 'gpt-4o-mini', messages, response_format: { type: 'json_object' } },
      'messages',
    ],
    [
      'a tool_choice without tools',
      { model: 'gpt-4o-mini', messages, tool_choice: 'required' },
      'tool_choice',
    ],
  ])('refuses %s with 400 and OpenAI error JSON', async (_name, body, param) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(response.body.error.message).toEqual(expect.any(String));
  });

  it('refuses a wrong key (401), an unknown model and an unknown route (404), and garbage JSON (400)', async () => {
    expect((await post({ model: 'gpt-4o-mini', messages }, undefined, 'nope')).body.error.code).toBe(
      'invalid_api_key',
    );
    expect((await post({ model: 'gpt-9', messages })).body.error.code).toBe('model_not_found');
    expect((await post({ model: 'gpt-4o-mini', messages }, '/v1/completions')).status).toBe(404);
    expect((await post('{"model":')).status).toBe(400);
  });

  it('answers 429 with Retry-After when told to', async () => {
    fake.failNext('429', 1, 7);
    const response = await fetch(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
  });
});
