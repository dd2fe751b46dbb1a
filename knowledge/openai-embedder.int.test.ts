import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../test/fakes/openai/server.ts';
import { EmbeddingDimensionError, EmbeddingProviderError } from './errors.ts';
import { createOpenAIEmbedder } from './openai-embedder.ts';

let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});

afterAll(async () => {
  await fake?.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.rejected.length = 0;
});

const embedder = (options: { apiKey?: string; batchSize?: number; maxRetries?: number } = {}) =>
  createOpenAIEmbedder({
    apiKey: options.apiKey ?? fake.apiKey,
    baseURL: fake.baseURL,
    batchSize: options.batchSize ?? 2,
    maxRetries: options.maxRetries ?? 0,
  });

describe('createOpenAIEmbedder', () => {
  it('sends valid embeddings requests in batches and returns one vector per text, in order', async () => {
    const texts = ['refund policy', 'reset password', 'api limits', 'refund policy again', 'sso'];
    const vectors = await embedder().embed(texts);
    expect(vectors).toHaveLength(5);
    expect(vectors.every((vector) => vector.length === 1536)).toBe(true);
    expect(fake.requests.map((request) => request.inputs)).toEqual([
      texts.slice(0, 2),
      texts.slice(2, 4),
      texts.slice(4),
    ]);
    expect(fake.requests[0]).toMatchObject({ model: 'text-embedding-3-small', encodingFormat: 'float' });
    expect(fake.rejected).toEqual([]);
    // Deterministic and meaningful: the same text gives the same vector.
    expect((await embedder().embed(['refund policy']))[0]).toEqual(vectors[0]);
  });

  it('retries a 429 and succeeds', async () => {
    fake.failNext('429');
    const vectors = await embedder({ maxRetries: 2 }).embed(['hello']);
    expect(vectors).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up after the retries on 500 with a retryable provider error', async () => {
    fake.failNext('500', 2);
    const failure = await embedder({ maxRetries: 1 })
      .embed(['hello'])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EmbeddingProviderError);
    expect(failure).toMatchObject({ retryable: true });
    expect((failure as Error).message).toMatch(/HTTP 500/);
    expect(fake.requests).toHaveLength(2);
  });

  it('reports a wrong API key as a non-retryable provider error', async () => {
    const failure = await embedder({ apiKey: 'sk-wrong' })
      .embed(['hello'])
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'EmbeddingProviderError', retryable: false });
    expect((failure as Error).message).toMatch(/HTTP 401/);
    expect(fake.rejected).toEqual([{ status: 401, message: 'Incorrect API key provided.' }]);
  });

  it('refuses a malformed answer and vectors of the wrong size', async () => {
    fake.failNext('malformed');
    await expect(embedder().embed(['hello'])).rejects.toBeInstanceOf(EmbeddingProviderError);
    fake.failNext('wrong-dimensions');
    await expect(embedder().embed(['hello'])).rejects.toBeInstanceOf(EmbeddingDimensionError);
  });
});

describe('the OpenAI fake', () => {
  it('validates requests as the API reference defines them', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${fake.baseURL}/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    expect((await post({ model: 'text-embedding-3-small', input: 'one text' })).status).toBe(200);
    expect((await post({ model: 'text-embedding-3-small', input: [] })).status).toBe(400);
    expect((await post({ model: 'text-embedding-3-small', input: [''] })).status).toBe(400);
    expect((await post({ input: ['x'] })).status).toBe(400);
    expect((await post({ model: 'text-embedding-3-small', input: ['x'], extra: 1 })).status).toBe(400);
    expect(
      (await post({ model: 'text-embedding-3-small', input: ['x'], encoding_format: 'int8' })).status,
    ).toBe(400);
    expect(
      (await post({ model: 'text-embedding-3-small', input: ['x'] }, { authorization: 'Bearer nope' }))
        .status,
    ).toBe(401);
    const response = await post({ model: 'text-embedding-3-small', input: ['x'], dimensions: 8 });
    const shortened = (await response.json()) as { data: Array<{ embedding: number[] }> };
    expect(shortened.data[0]?.embedding).toHaveLength(8);
  });
});
