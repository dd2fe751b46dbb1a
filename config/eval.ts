import { z } from 'zod';
import { databaseSettings, loadConfig, logSettings, modeSettings } from './load.ts';

/**
 * Settings of the eval CLI (`npm run eval`). The database is where finished runs are stored
 * (`eval_runs`) for the UI; scenarios run in their own throw-away databases. The OpenAI settings
 * are needed only with `--reasoner llm` or `--customer llm`.
 */
export const evalConfigSchema = z.object({
  ...databaseSettings,
  ...logSettings,
  ...modeSettings,
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:11434/v1' })
    .optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
});

export type EvalConfig = z.infer<typeof evalConfigSchema>;

export const loadEvalConfig = (source?: Record<string, string | undefined>): EvalConfig =>
  loadConfig(evalConfigSchema, source);
