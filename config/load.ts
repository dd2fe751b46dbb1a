import { z } from 'zod';

/** A setting is missing or malformed; `message` is one line that says what and how to fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Shared pieces of the per-entry-point schemas. */
export const databaseSettings = {
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL, or unset for embedded PGlite' })
    .optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
};

export const logSettings = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * Where customers reach this deployment (`https://support.example.com`, a path prefix allowed): links
 * in emails (the payment-method link) are made from it. Both the API and the workers need it.
 */
export const publicUrlSettings = {
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be the http(s) URL customers reach' })
    .optional(),
};

/** The link a customer follows to update their payment method, under the public base URL. */
export function paymentLinkBaseUrlOf(publicBaseUrl: string): string {
  const base = publicBaseUrl.endsWith('/') ? publicBaseUrl : `${publicBaseUrl}/`;
  return new URL('billing/update-payment', base).toString();
}

export const modeSettings = {
  /** `production` refuses unsafe test features (fault injection) unless explicitly enabled. */
  SWITCHBOARD_MODE: z.enum(['embedded', 'production']).optional(),
  ALLOW_FAULT_INJECTION: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
};

/** Which reasoner the agent uses; the OpenAI settings are needed only for `llm`. */
export const reasonerSettings = {
  REASONER: z.enum(['local', 'llm']).default('local'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:11434/v1' })
    .optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
};

/**
 * Parses `source` (default: process.env) with `schema`. Empty strings count as unset, so
 * `FOO=` in a .env file falls back to the default instead of failing.
 */
export function loadConfig<Schema extends z.ZodObject>(
  schema: Schema,
  source: Record<string, string | undefined> = process.env,
): z.infer<Schema> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = issue.path.join('.') || '(environment)';
  const given = cleaned[name];
  const shown = given === undefined ? 'it is not set' : `got ${JSON.stringify(redact(name, given))}`;
  throw new ConfigError(
    `Configuration error: ${name} ${issue.message} (${shown}); fix it in the environment or .env — see .env.example`,
  );
}

function redact(name: string, value: string): string {
  if (/SECRET|PASSWORD|KEY|TOKEN/i.test(name)) return '***';
  // Never echo a password embedded in a URL.
  return value.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

/** Runs an entry point, turning a ConfigError (or any startup failure) into one line and exit code 1. */
export async function runEntryPoint(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message.split('\n')[0]}\n`);
    process.exit(1);
  }
}
