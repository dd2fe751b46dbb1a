import { EmbeddingDimensionError } from './errors.ts';

/** Turns texts into vectors. One model and dimension per instance; the index records both. */
export interface Embedder {
  /** Identifies the model in `kb_index` (e.g. `energetic-ai/use-lite`, `openai/text-embedding-3-small`). */
  readonly model: string;
  readonly dimensions: number;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}

/** Checks an embedder's answer: one finite vector of the declared size per text. */
export function assertEmbeddings(
  embedder: Pick<Embedder, 'model' | 'dimensions'>,
  texts: string[],
  vectors: number[][],
): number[][] {
  if (vectors.length !== texts.length) {
    throw new EmbeddingDimensionError(
      embedder.model,
      embedder.dimensions,
      `${vectors.length} vectors for ${texts.length} texts, each`,
    );
  }
  for (const vector of vectors) {
    if (!Array.isArray(vector) || vector.length !== embedder.dimensions) {
      throw new EmbeddingDimensionError(
        embedder.model,
        embedder.dimensions,
        Array.isArray(vector) ? vector.length : 'non-array',
      );
    }
    if (!vector.every(Number.isFinite))
      throw new EmbeddingDimensionError(embedder.model, embedder.dimensions, 'non-finite');
  }
  return vectors;
}

/** An embedder that also counts calls and texts (benchmarks, tests of "nothing re-embedded"). */
export interface CountingEmbedder extends Embedder {
  readonly calls: number;
  readonly texts: number;
  /** Milliseconds spent inside `embed`. */
  readonly milliseconds: number;
  reset(): void;
}

/** Wraps an embedder to count its calls, embedded texts and time. */
export function countingEmbedder(inner: Embedder): CountingEmbedder {
  let calls = 0;
  let texts = 0;
  let milliseconds = 0;
  return {
    model: inner.model,
    dimensions: inner.dimensions,
    get calls() {
      return calls;
    },
    get texts() {
      return texts;
    },
    get milliseconds() {
      return milliseconds;
    },
    reset() {
      calls = 0;
      texts = 0;
      milliseconds = 0;
    },
    async embed(input) {
      calls += 1;
      texts += input.length;
      const started = performance.now();
      try {
        return await inner.embed(input);
      } finally {
        milliseconds += performance.now() - started;
      }
    },
  };
}

/** Embeds many texts in batches of `batchSize`, checking every answer. */
export async function embedInBatches(
  embedder: Embedder,
  texts: string[],
  batchSize = 32,
): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = texts.slice(start, start + batchSize);
    vectors.push(...assertEmbeddings(embedder, batch, await embedder.embed(batch)));
  }
  return vectors;
}
