import type { Baseline, ScenarioEnvironment } from './environment.ts';
import type { LoadedScenario, Suite } from './load-suite.ts';
import { type CustomerFactory, runScenario, type ScenarioResult } from './run-scenario.ts';

/** How a suite is run. */
export interface RunSuiteOptions {
  suite: Suite;
  /** Repetitions of every scenario (pass^k). */
  runs: number;
  /** `['none']`, or `['none', 'kb-only']` to run the baseline too. */
  baselines: Baseline[];
  /** Environments working in parallel, each with its own database. */
  concurrency: number;
  /** Only scenarios whose id contains this. */
  filter?: string;
  /** Builds environment `index` (the CLI's factory, or a test's). */
  createEnvironment: (index: number) => Promise<ScenarioEnvironment>;
  createCustomer: CustomerFactory;
  turnTimeoutMs?: number;
  /** Called after each finished run, e.g. for the progress bar. */
  onResult?: (result: ScenarioResult, progress: { done: number; total: number }) => void;
}

/** The scenarios a filter selects. */
export function selectScenarios(suite: Suite, filter?: string): LoadedScenario[] {
  return filter ? suite.scenarios.filter(({ scenario }) => scenario.id.includes(filter)) : suite.scenarios;
}

/**
 * Runs every selected scenario `runs` times per baseline, spread over `concurrency` environments
 * (one scenario at a time in each: every scenario resets its environment). Results come back in a
 * stable order: baseline, then scenario, then run. Environments are closed at the end.
 */
export async function runSuite(options: RunSuiteOptions): Promise<ScenarioResult[]> {
  const scenarios = selectScenarios(options.suite, options.filter);
  const jobs = options.baselines.flatMap((baseline) =>
    scenarios.flatMap((loaded) =>
      Array.from({ length: options.runs }, (_, run) => ({ loaded, baseline, run })),
    ),
  );
  if (jobs.length === 0) return [];
  const workers = Math.max(1, Math.min(options.concurrency, jobs.length));
  const environments: ScenarioEnvironment[] = [];
  const results: ScenarioResult[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  try {
    for (let index = 0; index < workers; index += 1)
      environments.push(await options.createEnvironment(index));
    await Promise.all(
      environments.map(async (environment) => {
        for (let job = next++; job < jobs.length; job = next++) {
          const { loaded, baseline, run } = jobs[job]!;
          const result = await runScenario({
            environment,
            loaded,
            baseline,
            run,
            createCustomer: options.createCustomer,
            ...(options.turnTimeoutMs !== undefined ? { turnTimeoutMs: options.turnTimeoutMs } : {}),
          });
          results[job] = result;
          done += 1;
          options.onResult?.(result, { done, total: jobs.length });
        }
      }),
    );
  } finally {
    await Promise.allSettled(environments.map((environment) => environment.close()));
  }
  return results;
}
