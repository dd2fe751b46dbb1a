import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type EvalConfig, evalConfigSchema } from '../config/eval.ts';
import type { EnvironmentFactory } from '../evals/environment.ts';
import { recordRunFinished } from '../evals/eval-runs-store.ts';
import { loadSuite, SuiteLoadError } from '../evals/load-suite.ts';
import { buildReport, type EvalRunOptions, type EvalRunReport } from '../evals/report.ts';
import { runSuite, selectScenarios } from '../evals/runner.ts';
import { createScriptedCustomer } from '../evals/simulated-customer.ts';
import type { ParsedJobPayload } from './catalog.ts';
import { PermanentJobError } from './errors.ts';

/** What the eval-run job needs. */
export interface EvalRunJobDependencies {
  pool: pg.Pool;
  /**
   * Builds the scenario environments to run the suite in this process (tests); without it the suite
   * runs in a child process (`npm run eval`, whose entry point builds them).
   */
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
  const createEnvironment = deps.createEnvironment;
  if (!createEnvironment) {
    const report = await runInChildProcess(suite.folder, payload, signal);
    await recordRunFinished(deps.pool, { ...report, id: payload.runId });
    return;
  }
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

const repositoryRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `npm run eval` in a child process (no store: the parent records the report under the run id). */
async function runInChildProcess(
  suiteFolder: string,
  payload: ParsedJobPayload<'eval.run'>,
  signal?: AbortSignal,
): Promise<EvalRunReport> {
  const out = await mkdtemp(path.join(tmpdir(), 'switchboard-eval-'));
  try {
    const args = [
      '--import',
      'tsx',
      path.join(repositoryRoot, 'app', 'eval-main.ts'),
      '--suite',
      suiteFolder,
      '--no-store',
      '--out',
      out,
      ...(payload.baseline ? ['--baseline', payload.baseline] : []),
      ...(payload.filter ? ['--filter', payload.filter] : []),
    ];
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const abort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', abort, { once: true });
    const [code] = (await once(child, 'exit')) as [number | null];
    signal?.removeEventListener('abort', abort);
    signal?.throwIfAborted();
    // Exit 1 means thresholds were missed (none are set here) — or a crash, which leaves no results.
    const results = await readFile(path.join(out, 'results.json'), 'utf8').catch(() => null);
    if (!results)
      throw new Error(`the eval run exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    return JSON.parse(results) as EvalRunReport;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
