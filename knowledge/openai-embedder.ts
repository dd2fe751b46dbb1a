import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, embedMany, RetryError } from 'ai';
import { assertEmbeddings, type Embedder } from './embedder.ts';
import { EmbeddingProviderError } from './errors.ts';

/** Settings of an OpenAI (or OpenAI-compatible) embeddings endpoint. */
export interface OpenAIEmbedderOptions {
  apiKey: string;
  /** e.g. `https://api.openai.com/v1`, or a local OpenAI-compatible server. */
  baseURL?: string;
  /** Default `text-embedding-3-small`. */
  modelId?: string;
  /** Vector size the model returns (1536 for text-embedding-3-small). */
  dimensions?: number;
  /** Texts per request; OpenAI accepts up to 2048 inputs per request (default 256). */
  batchSize?: number;
  /** Retries per request on 429/5xx (default 2). */
  maxRetries?: number;
  /** Concurrent requests (default 2). */
  maxParallelCalls?: number;
  /** For tests and proxies. */
  fetch?: typeof fetch;
}

const knownDimensions: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/**
 * Embeds through the AI SDK's OpenAI provider (`POST {baseURL}/embeddings`), in batches.
 * Provider failures surface as `EmbeddingProviderError` with `retryable` set for 429/5xx.
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const modelId = options.modelId ?? 'text-embedding-3-small';
  const dimensions = options.dimensions ?? knownDimensions[modelId];
  if (!dimensions) throw new Error(`Unknown dimensions for embedding model ${modelId}: pass \`dimensions\``);
  const provider = createOpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const model = provider.embedding(modelId);
  // OpenAI accepts at most 2048 inputs per request.
  const batchSize = Math.min(options.batchSize ?? 256, 2048);
  const embedder: Embedder = {
    model: `openai/${modelId}`,
    dimensions,
    async embed(texts) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const values = texts.slice(start, start + batchSize);
        try {
          const result = await embedMany({
            model,
            values,
            maxRetries: options.maxRetries ?? 2,
            maxParallelCalls: options.maxParallelCalls ?? 2,
            // Only sent when the caller asked for a non-default size (text-embedding-3 supports it).
            ...(options.dimensions && knownDimensions[modelId] !== options.dimensions
              ? { providerOptions: { openai: { dimensions: options.dimensions } } }
              : {}),
          });
          vectors.push(...assertEmbeddings(embedder, values, result.embeddings));
        } catch (error) {
          throw toProviderError(error, embedder.model);
        }
      }
      return vectors;
    },
  };
  return embedder;
}

function toProviderError(error: unknown, model: string): Error {
  if (
    error instanceof EmbeddingProviderError ||
    (error instanceof Error && error.name === 'EmbeddingDimensionError')
  )
    return error;
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (APICallError.isInstance(last)) {
    const status = last.statusCode ? `HTTP ${last.statusCode}` : 'network error';
    return new EmbeddingProviderError(
      `Embedding request to ${model} failed (${status}): ${last.message}`,
      last.isRetryable,
      {
        cause: error,
      },
    );
  }
  const message = last instanceof Error ? last.message : String(last);
  return new EmbeddingProviderError(
    `Embedding request to ${model} failed: ${message.split('\n')[0]}`,
    false,
    { cause: error },
  );
}
