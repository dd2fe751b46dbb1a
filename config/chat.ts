import { z } from 'zod';
import { databaseSettings, loadConfig, logSettings } from './load.ts';

/** Settings of the terminal chat (`npm run chat -- --as <email>`): the same database as the API. */
export const chatConfigSchema = z.object({
  ...databaseSettings,
  ...logSettings,
});

export type ChatConfig = z.infer<typeof chatConfigSchema>;

export const loadChatConfig = (source?: Record<string, string | undefined>): ChatConfig =>
  loadConfig(chatConfigSchema, source);
