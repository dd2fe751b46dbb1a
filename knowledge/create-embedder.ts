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

/** Builds the configured embedder; `local` is the process-wide shared model. */
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
