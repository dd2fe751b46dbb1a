import { z } from 'zod';
import { databaseSettings, loadConfig, logSettings } from './load.ts';

/** Settings of the database scripts (`npm run db:migrate`, `npm run seed`). */
export const scriptsConfigSchema = z.object({
  ...databaseSettings,
  ...logSettings,
});

export type ScriptsConfig = z.infer<typeof scriptsConfigSchema>;

export const loadScriptsConfig = (source?: Record<string, string | undefined>): ScriptsConfig =>
  loadConfig(scriptsConfigSchema, source);
