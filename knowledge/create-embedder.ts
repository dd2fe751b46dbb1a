import type { Embedder } from './embedder.ts';
import { sharedLocalEmbedder } from './local-embedder.ts';
import { createOpenAIEmbedder } from './openai-embedder.ts';

/** Which embedder to use, as configuration says (entry points build this from their config schema). */
export type EmbedderSettings =
  | { provider: 'local' }
  | {
      provider: 'openai';
      apiKey: string;
      baseURL?: string;
      model?: string;
      dimensions?: number;
      batchSize?: number;
    };

/**
 * Builds the configured embedder; `local` is the process-wide shared model on the calling thread —
 * right for the turn path: a query embeds in ~15–50 ms there, while the worker thread's urgent lane
 * waited 190–380 ms (p50) behind ingestion batches (docs/knowledge.md, "Ingestion"). Ingestion in a
 * serving process uses `sharedWorkerEmbedder()` (knowledge/worker-embedder.ts) instead.
 */
export function createEmbedder(settings: EmbedderSettings): Embedder {
  if (settings.provider === 'local') return sharedLocalEmbedder();
  return createOpenAIEmbedder({
    apiKey: settings.apiKey,
    ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
    ...(settings.model ? { modelId: settings.model } : {}),
    ...(settings.dimensions ? { dimensions: settings.dimensions } : {}),
    ...(settings.batchSize ? { batchSize: settings.batchSize } : {}),
  });
}
