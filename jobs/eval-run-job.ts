import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type EvalConfig, evalConfigSchema } from '../config/eval.ts';
import { defaultEnvironmentFactory } from '../evals/default-environment.ts';
import type { EnvironmentFactory } from '../evals/environment.ts';
import { recordRunFinished } from '../evals/eval-runs-store.ts';
import { loadSuite, SuiteLoadError } from '../evals/load-suite.ts';
import { buildReport, type EvalRunOptions } from '../evals/report.ts';
import { runSuite, selectScenarios } from '../evals/runner.ts';
import { createScriptedCustomer } from '../evals/simulated-customer.ts';
import type { ParsedJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';

/** What the eval-run job needs. */
export interface EvalRunJobDependencies {
  pool: pg.Pool;
  /** Builds the isolated scenario environments (default: the eval CLI's). */
  createEnvironment?: EnvironmentFactory;
  /** The eval settings (OpenAI model for `llm`); the defaults run the local reasoner. */
  config?: EvalConfig;
  /** Folder holding the suites; a payload's `suite` is a folder name inside it. */
  suitesDir?: string;
}

const defaultSuitesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'evals', 'suites');

/**
 * Runs an eval suite for the admin page, like `npm run eval -- --suite <suite>` with the scripted
 * customer and the local reasoner, and stores the report in the `eval_runs` row the API inserted
 * (`runId`). Only suites inside `suitesDir` can be named: the payload never picks a file path.
 */
export async function runEvalJob(
  deps: EvalRunJobDependencies,
  payload: ParsedJobPayload<'eval.run'>,
  signal?: AbortSignal,
): Promise<void> {
  const suitesDir = path.resolve(deps.suitesDir ?? defaultSuitesDir);
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(payload.suite)) {
    throw new PermanentJobError(`eval suite "${payload.suite}" is not a suite name`);
  }
  let suite: Awaited<ReturnType<typeof loadSuite>>;
  try {
    suite = await loadSuite(path.join(suitesDir, payload.suite));
  } catch (error) {
    if (error instanceof SuiteLoadError) throw new PermanentJobError(error.message);
    throw error;
  }
  const config = deps.config ?? evalConfigSchema.parse({});
  if (selectScenarios(suite, payload.filter ?? undefined).length === 0) {
    throw new PermanentJobError(`filter "${payload.filter}" matches no scenario of suite ${payload.suite}`);
  }
  const createEnvironment = deps.createEnvironment ?? defaultEnvironmentFactory;
  const options: EvalRunOptions = {
    runs: 1,
    baseline: payload.baseline ?? 'none',
    reasoner: 'local',
    customer: 'scripted',
    concurrency: 1,
    filter: payload.filter ?? undefined,
  };
  const startedAt = new Date();
  const results = await runSuite({
    suite,
    runs: options.runs,
    baselines: payload.baseline === 'kb-only' ? ['none', 'kb-only'] : ['none'],
    concurrency: options.concurrency,
    ...(payload.filter ? { filter: payload.filter } : {}),
    createEnvironment: (index) => createEnvironment({ reasoner: 'local', index, config }),
    createCustomer: createScriptedCustomer,
  });
  signal?.throwIfAborted();
  const report = buildReport({
    id: payload.runId,
    suite: suite.name,
    suiteFolder: suite.folder,
    options,
    startedAt,
    finishedAt: new Date(),
    results,
  });
  // Updates the row the API inserted (or inserts one when it is missing).
  await recordRunFinished(deps.pool, report);
}
