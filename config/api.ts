import { z } from 'zod';
import { databaseSettings, loadConfig, logSettings, modeSettings } from './load.ts';

/** Settings of the API server (`npm start`). */
export const apiConfigSchema = z.object({
  ...databaseSettings,
  ...logSettings,
  ...modeSettings,
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Seed the Lumen Cloud demo world on the first start of an empty embedded database. */
  SEED_ON_FIRST_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export const loadApiConfig = (source?: Record<string, string | undefined>): ApiConfig =>
  loadConfig(apiConfigSchema, source);
