import { z } from 'zod';
import { databaseSettings, loadConfig, logSettings } from './load.ts';

/** Settings of `npm run credentials:rotate`. */
export const credentialsConfigSchema = z.object({
  ...databaseSettings,
  ...logSettings,
  /** `newId:base64,oldId:base64` (current first); unset: the embedded key file `<DATA_DIR>/master.key`. */
  MASTER_KEY: z.string().min(1).optional(),
});

export const loadCredentialsConfig = (source?: Record<string, string | undefined>) =>
  loadConfig(credentialsConfigSchema, source);
