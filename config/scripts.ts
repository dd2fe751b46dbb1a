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

/** Settings of `npm run humans:add`: the database, and optionally the new human's password. */
export const humansAddConfigSchema = scriptsConfigSchema.extend({
  HUMAN_PASSWORD: z.string().min(10, { error: 'must be at least 10 characters long' }).optional(),
});

export const loadHumansAddConfig = (
  source?: Record<string, string | undefined>,
): z.infer<typeof humansAddConfigSchema> => loadConfig(humansAddConfigSchema, source);
