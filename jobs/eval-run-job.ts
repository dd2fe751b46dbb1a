import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type EvalConfig, evalConfigSchema } from '../config/eval.ts';
import { capturedSuiteName, loadCapturedSuite, writeSuiteFolder } from '../evals/capture/store.ts';
import type { EnvironmentFactory } from '../evals/environment.ts';
import { recordRunFinished, recordRunProgress } from '../evals/eval-runs-store.ts';
import { loadSuite, SuiteLoadError } from '../evals/load-suite.ts';
import { buildReport, type EvalRunOptions, type EvalRunReport } from '../evals/report.ts';
import { advanceProgress, type RunProgress, readProgressFile, startProgress } from '../evals/run-progress.ts';
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
    // The captured suite is read from the database (scenarios saved from the console), through the
    // same parser and schema as a suite file; the others are folders.
    suite =
      payload.suite === capturedSuiteName
        ? await loadCapturedSuite(deps.pool)
        : await loadSuite(path.join(suitesDir, payload.suite));
  } catch (error) {
    if (error instanceof SuiteLoadError) throw new PermanentJobError(error.message);
    throw error;
  }
  const config = deps.config ?? evalConfigSchema.parse({});
  if (selectScenarios(suite, payload.filter ?? undefined).length === 0) {
    throw new PermanentJobError(`filter "${payload.filter}" matches no scenario of suite ${payload.suite}`);
  }
  // The admin page's progress (eval_runs.progress): nothing done yet, then after every scenario run.
  const total =
    selectScenarios(suite, payload.filter ?? undefined).length * (payload.baseline === 'kb-only' ? 2 : 1);
  const reportProgress = (progress: RunProgress) =>
    recordRunProgress(deps.pool, payload.runId, progress).catch(() => {});
  await reportProgress(startProgress(total));
  const createEnvironment = deps.createEnvironment;
  if (!createEnvironment) {
    if (payload.suite !== capturedSuiteName) {
      const report = await runInChildProcess(suite.folder, payload, signal, reportProgress);
      await recordRunFinished(deps.pool, { ...report, id: payload.runId });
      return;
    }
    // The child's CLI reads a folder: the captured suite is written out as YAML files for the run.
    const folder = await mkdtemp(path.join(tmpdir(), 'switchboard-captured-'));
    try {
      await writeSuiteFolder(suite, path.join(folder, capturedSuiteName));
      const report = await runInChildProcess(
        path.join(folder, capturedSuiteName),
        payload,
        signal,
        reportProgress,
      );
      await recordRunFinished(deps.pool, { ...report, id: payload.runId, suite: capturedSuiteName });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
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
  let progress = startProgress(total);
  let written: Promise<void> = Promise.resolve();
  const results = await runSuite({
    suite,
    runs: options.runs,
    baselines: payload.baseline === 'kb-only' ? ['none', 'kb-only'] : ['none'],
    concurrency: options.concurrency,
    ...(payload.filter ? { filter: payload.filter } : {}),
    createEnvironment: (index) => createEnvironment({ reasoner: 'local', index, config }),
    createCustomer: createScriptedCustomer,
    onResult: (result, counts) => {
      progress = advanceProgress(progress, result, counts);
      const current = progress;
      // In order, and all written before the run is recorded finished (which freezes the progress).
      written = written.then(() => reportProgress(current));
    },
  });
  signal?.throwIfAborted();
  await written;
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
  onProgress?: (progress: RunProgress) => Promise<void>,
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
    // The child writes progress.json after every scenario run; copied to the row once a second.
    let copied = '';
    const poll = setInterval(async () => {
      const progress = await readProgressFile(out);
      if (progress && progress.updatedAt !== copied) {
        copied = progress.updatedAt;
        await onProgress?.(progress);
      }
    }, 1000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(poll);
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
