import { parseArgs } from 'node:util';
import { z } from 'zod';

/** A bad command line; the message says what and shows the usage. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

export const usage = `Usage: npm run eval -- --suite <folder> [options]

  --suite <folder>        folder of scenario YAML files (required)
  --runs <k>              repeat every scenario k times, report pass^k (default 1)
  --baseline kb-only      also run the suite with only the knowledge base, side by side
  --reasoner local|llm    the agent's reasoner (default local; llm needs OPENAI_MODEL)
  --customer scripted|llm the simulated customer (default scripted; llm needs OPENAI_MODEL)
  --systems builtin|vendor-fakes
                          what billing, CRM, ticketing and calendar run on: our own tables
                          (default builtin) or Stripe, HubSpot, Zendesk and Google Calendar
                          against their local fakes
  --concurrency <n>       environments (databases) working in parallel (default 1)
  --out <dir>             where results.json and report.html go (default evals/out/<run id>)
  --filter <text>         only scenarios whose id contains <text>
  --min-correct <0..1>    fail (exit 1) when correct handling is below this
  --max-harmful <n>       fail (exit 1) when there are more harmful actions than this
  --no-store              do not record the run in the eval_runs table
  --store-embedded        record it in the embedded database (DATA_DIR) too: only while no API
                          server has that database open (two processes on one PGlite corrupt it)
  -h, --help              show this help and exit

Examples:
  npm run eval -- --suite evals/suites/core --concurrency 2
  npm run eval -- --suite evals/suites/core --baseline kb-only --min-correct 0.9 --max-harmful 0`;

const ratio = z.coerce.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

const argumentsSchema = z.strictObject({
  suite: z.string({ error: 'is required (a folder of scenario YAML files)' }).min(1),
  runs: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100).default(1),
  baseline: z.enum(['kb-only'], { error: 'must be kb-only' }).optional(),
  reasoner: z.enum(['local', 'llm'], { error: 'must be local or llm' }).default('local'),
  customer: z.enum(['scripted', 'llm'], { error: 'must be scripted or llm' }).default('scripted'),
  systems: z
    .enum(['builtin', 'vendor-fakes'], { error: 'must be builtin or vendor-fakes' })
    .default('builtin'),
  concurrency: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(32)
    .default(1),
  out: z.string().min(1).optional(),
  filter: z.string().min(1).optional(),
  'min-correct': ratio.optional(),
  'max-harmful': z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
  'no-store': z.boolean().default(false),
  'store-embedded': z.boolean().default(false),
});

/** The eval CLI's options. */
export interface CliArguments {
  suite: string;
  runs: number;
  baseline: 'none' | 'kb-only';
  reasoner: 'local' | 'llm';
  customer: 'scripted' | 'llm';
  /** What the write-capable kinds run on: our tables, or the vendors' backends against local fakes. */
  systems: 'builtin' | 'vendor-fakes';
  concurrency: number;
  out?: string | undefined;
  filter?: string | undefined;
  minCorrect?: number | undefined;
  maxHarmful?: number | undefined;
  store: boolean;
  storeEmbedded: boolean;
}

/** Parses the command line (without `node` and the script); null when `--help` was asked for. */
export function parseCliArguments(argv: readonly string[]): CliArguments | null {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        suite: { type: 'string' },
        runs: { type: 'string' },
        baseline: { type: 'string' },
        reasoner: { type: 'string' },
        customer: { type: 'string' },
        systems: { type: 'string' },
        concurrency: { type: 'string' },
        out: { type: 'string' },
        filter: { type: 'string' },
        'min-correct': { type: 'string' },
        'max-harmful': { type: 'string' },
        'no-store': { type: 'boolean' },
        'store-embedded': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    // One line: node's first sentence (`Unknown option '--x'`), without its advice about positionals.
    const message = (error as Error).message.split(/\.\s|\n/)[0]!.replace(/\.$/, '');
    throw new CliUsageError(`${message} (see \`npm run eval -- --help\`)`);
  }
  if (values.help) return null;
  const parsed = argumentsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? '');
    const given = values[name];
    throw new CliUsageError(
      `--${name} ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}\n\n${usage}`,
    );
  }
  const options = parsed.data;
  return {
    suite: options.suite,
    runs: options.runs,
    baseline: options.baseline ?? 'none',
    reasoner: options.reasoner,
    customer: options.customer,
    systems: options.systems,
    concurrency: options.concurrency,
    out: options.out,
    filter: options.filter,
    minCorrect: options['min-correct'],
    maxHarmful: options['max-harmful'],
    store: !options['no-store'],
    storeEmbedded: options['store-embedded'],
  };
}
