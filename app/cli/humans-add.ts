import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createHumanAgent, minPasswordLength } from '../../api/auth/human-auth.ts';
import { openConfiguredDatabase } from '../database-from-config.ts';

/** Settings of `npm run humans:add` (parsed from the environment by config/scripts.ts). */
export interface HumansAddConfig {
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
  /** The new human's password, when not given on stdin. */
  HUMAN_PASSWORD?: string | undefined;
}

const argumentsSchema = z.object({
  email: z.email({ error: '--email must be an email address' }),
  name: z.string().trim().min(1, { error: '--name is required' }).max(200),
  role: z.enum(['agent', 'admin'], { error: '--role must be agent or admin' }).default('agent'),
});

/** What a usage error adds to its one line (the full text is `npm run humans:add -- --help`). */
export const usageHint = '(see `npm run humans:add -- --help`)';

/**
 * Adds a human agent who can sign in to the console. The password comes from HUMAN_PASSWORD or
 * `readPassword` (stdin), never from the command line where `ps` would show it. Returns the exit code.
 */
export async function main(
  argv: string[],
  config: HumansAddConfig,
  io: { readPassword: () => Promise<string>; output: (line: string) => void },
): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    io.output(`${(error as Error).message.split(/\.\s/)[0]} ${usageHint}`);
    return 2;
  }
  const parsed = argumentsSchema.safeParse(values);
  if (!parsed.success) {
    io.output(`${parsed.error.issues[0]!.message} ${usageHint}`);
    return 2;
  }
  const password = config.HUMAN_PASSWORD ?? (await io.readPassword()).replace(/\r?\n$/, '');
  if (password.length < minPasswordLength) {
    io.output(`The password must be at least ${minPasswordLength} characters long.`);
    return 2;
  }
  const database = await openConfiguredDatabase(config);
  try {
    const human = await createHumanAgent(database.pool, { ...parsed.data, password });
    io.output(`Added ${human.role} ${human.name} <${human.email}> (${human.id}).`);
    return 0;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      io.output(`A human agent with the email ${parsed.data.email} already exists.`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
}
