import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import type { EvalConfig } from '../config/eval.ts';
import type { Database } from '../db/database.ts';
import { CliUsageError, parseCliArguments, usage } from './cli-arguments.ts';
import { createProgressBar, formatConsoleSummary, type TextSink } from './console-report.ts';
import type { Baseline, EnvironmentFactory } from './environment.ts';
import { recordRunFinished, recordRunStarted } from './eval-runs-store.ts';
import { createLlmCustomer } from './llm-customer.ts';
import { loadSuite, SuiteLoadError } from './load-suite.ts';
import { buildReport, type EvalRunOptions, writeReportFiles } from './report.ts';
import { advanceProgress, startProgress, writeProgressFile } from './run-progress.ts';
import type { CustomerFactory } from './run-scenario.ts';
import { runSuite, selectScenarios } from './runner.ts';
import { createScriptedCustomer } from './simulated-customer.ts';

/** What the CLI needs from its entry point (tests pass their own). */
export interface CliDependencies {
  config: EvalConfig;
  createEnvironment: EnvironmentFactory;
  stdout: TextSink;
  stderr: TextSink;
  /**
   * Opens the database runs are recorded in (`eval_runs`), or returns null with a reason (e.g. an
   * embedded database without `--store-embedded`).
   */
  openStore?: (options: { allowEmbedded: boolean }) => Promise<Database | string>;
  /** Where `--out` defaults to: `<this>/<run id>`. */
  defaultOutDir?: string;
  turnTimeoutMs?: number;
}

/** Exit codes: 0 all thresholds met, 1 a threshold missed, 2 a usage or suite error. */
export async function runEvalCli(argv: readonly string[], dependencies: CliDependencies): Promise<number> {
  const { config, stdout, stderr } = dependencies;
  let options: ReturnType<typeof parseCliArguments>;
  try {
    options = parseCliArguments(argv);
  } catch (error) {
    if (error instanceof CliUsageError) {
      stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (!options) {
    stdout.write(`${usage}\n`);
    return 0;
  }
  if ((options.reasoner === 'llm' || options.customer === 'llm') && !config.OPENAI_MODEL) {
    stderr.write(
      `--reasoner llm / --customer llm need OPENAI_MODEL (and OPENAI_API_KEY, or OPENAI_BASE_URL for a compatible server) in the environment or .env\n`,
    );
    return 2;
  }
  let suite: Awaited<ReturnType<typeof loadSuite>>;
  try {
    suite = await loadSuite(options.suite);
  } catch (error) {
    if (error instanceof SuiteLoadError) {
      stderr.write(`The suite could not be loaded:\n${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const selected = selectScenarios(suite, options.filter);
  if (selected.length === 0) {
    stderr.write(`--filter "${options.filter}" matches no scenario id in ${suite.folder}\n`);
    return 2;
  }

  const runId = `evr_${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}_${randomBytes(3).toString('hex')}`;
  const startedAt = new Date();
  const runOptions: EvalRunOptions = {
    runs: options.runs,
    baseline: options.baseline,
    reasoner: options.reasoner,
    customer: options.customer,
    systems: options.systems,
    concurrency: options.concurrency,
    filter: options.filter,
    minCorrect: options.minCorrect,
    maxHarmful: options.maxHarmful,
  };
  const store = options.store ? await openStore(dependencies, options.storeEmbedded, stderr) : null;
  try {
    if (store) {
      await recordRunStarted(store.pool, {
        id: runId,
        suite: suite.name,
        options: runOptions,
        startedAt,
      }).catch((error: Error) =>
        stderr.write(`warning: could not record the run in eval_runs: ${error.message}\n`),
      );
    }
    const baselines: Baseline[] = options.baseline === 'kb-only' ? ['none', 'kb-only'] : ['none'];
    stderr.write(
      `Running ${selected.length} scenario(s) × ${options.runs} run(s)${baselines.length > 1 ? ' + kb-only baseline' : ''} from ${suite.folder}${options.systems === 'vendor-fakes' ? ' on the vendor fakes (Stripe, HubSpot, Zendesk, Google Calendar)' : ''}\n`,
    );
    const progress = createProgressBar(stderr);
    let fileProgress = startProgress(selected.length * options.runs * baselines.length);
    const results = await runSuite({
      suite,
      runs: options.runs,
      baselines,
      concurrency: options.concurrency,
      filter: options.filter,
      createEnvironment: (index) =>
        dependencies.createEnvironment({
          reasoner: options.reasoner,
          systems: options.systems,
          index,
          config,
        }),
      createCustomer: customerFactory(options.customer, config),
      onResult: (result, done) => {
        progress.update(result, done);
        // For the `eval.run` job, which runs this in a child process: the admin page's progress.
        if (options.out) {
          fileProgress = advanceProgress(fileProgress, result, done);
          void writeProgressFile(options.out, fileProgress).catch(() => {});
        }
      },
      ...(dependencies.turnTimeoutMs !== undefined ? { turnTimeoutMs: dependencies.turnTimeoutMs } : {}),
    });
    const report = buildReport({
      id: runId,
      suite: suite.name,
      suiteFolder: suite.folder,
      options: runOptions,
      startedAt,
      finishedAt: new Date(),
      results,
    });
    const folder = options.out ?? path.join(dependencies.defaultOutDir ?? 'evals/out', runId);
    const files = await writeReportFiles(report, folder);
    if (store) {
      await recordRunFinished(store.pool, report).catch((error: Error) =>
        stderr.write(`warning: could not record the run in eval_runs: ${error.message}\n`),
      );
    }
    stdout.write(formatConsoleSummary(report));
    stdout.write(`\nResults: ${files.json}\nReport:  ${files.html}\n`);
    for (const failure of report.thresholdFailures) stdout.write(`THRESHOLD MISSED: ${failure}\n`);
    return report.thresholdFailures.length > 0 ? 1 : 0;
  } finally {
    await store?.close();
  }
}

async function openStore(
  dependencies: CliDependencies,
  allowEmbedded: boolean,
  stderr: TextSink,
): Promise<Database | null> {
  if (!dependencies.openStore) return null;
  try {
    const opened = await dependencies.openStore({ allowEmbedded });
    if (typeof opened !== 'string') return opened;
    stderr.write(`note: ${opened}\n`);
    return null;
  } catch (error) {
    stderr.write(`warning: runs will not be recorded in eval_runs: ${(error as Error).message}\n`);
    return null;
  }
}

function customerFactory(kind: 'scripted' | 'llm', config: EvalConfig): CustomerFactory {
  if (kind === 'scripted') return createScriptedCustomer;
  const provider = createOpenAI({
    ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY } : { apiKey: 'not-needed' }),
    ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
  });
  const model = provider.chat(config.OPENAI_MODEL!);
  return (dependencies) => createLlmCustomer({ ...dependencies, model });
}
