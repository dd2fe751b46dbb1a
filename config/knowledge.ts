import { z } from 'zod';
import { databaseSettings, loadConfig, logSettings } from './load.ts';

/** Embedding settings shared by every entry point that embeds (API, kb scripts). */
export const embeddingSettings = {
  /** `local`: the offline Universal Sentence Encoder (default); `openai`: text-embedding-3-small or another model. */
  EMBEDDINGS_PROVIDER: z.enum(['local', 'openai']).default('local'),
  EMBEDDINGS_MODEL: z.string().min(1).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url({ error: 'must be a URL such as http://127.0.0.1:11434/v1' }).optional(),
};

/** Settings of the knowledge scripts (`npm run kb:ingest -- <folder>`, `npm run kb:reindex`). */
export const knowledgeConfigSchema = z
  .object({ ...databaseSettings, ...logSettings, ...embeddingSettings })
  .refine((config) => config.EMBEDDINGS_PROVIDER !== 'openai' || config.OPENAI_API_KEY, {
    path: ['OPENAI_API_KEY'],
    message: 'is required when EMBEDDINGS_PROVIDER=openai',
  });

export type KnowledgeConfig = z.infer<typeof knowledgeConfigSchema>;

export const loadKnowledgeConfig = (source?: Record<string, string | undefined>): KnowledgeConfig =>
  loadConfig(knowledgeConfigSchema as unknown as z.ZodObject, source) as KnowledgeConfig;

/** The embedder settings of the knowledge module, from configuration. */
export function embedderSettings(config: z.infer<z.ZodObject<typeof embeddingSettings>>) {
  return config.EMBEDDINGS_PROVIDER === 'openai'
    ? {
        provider: 'openai' as const,
        apiKey: config.OPENAI_API_KEY ?? '',
        ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
        ...(config.EMBEDDINGS_MODEL ? { model: config.EMBEDDINGS_MODEL } : {}),
      }
    : { provider: 'local' as const };
}
