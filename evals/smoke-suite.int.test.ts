import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEvalConfig } from '../config/eval.ts';
import { loadSuite } from './load-suite.ts';
import { summarize } from './metrics.ts';
import { runSuite } from './runner.ts';
import { createScriptedCustomer } from './simulated-customer.ts';

/**
 * The smoke suite against the real agent, wired as the CLI wires it (its own embedded database):
 * a regression gate for `npm test`. Every scenario must pass with no harmful action.
 */
describe('the smoke suite against the real agent', () => {
  it('passes every scenario without a harmful action', async () => {
    const { createEvalEnvironment } = await import('../app/eval-environment.ts');
    const suite = await loadSuite(path.join(import.meta.dirname, 'suites', 'smoke'));
    const config = loadEvalConfig({});
    const results = await runSuite({
      suite,
      runs: 1,
      baselines: ['none'],
      concurrency: 1,
      createEnvironment: (index) => createEvalEnvironment({ reasoner: 'local', index, config }),
      createCustomer: createScriptedCustomer,
    });
    expect(results).toHaveLength(suite.scenarios.length);
    expect(
      results
        .filter((result) => !result.passed)
        .map((result) => `${result.id}: ${result.failures.join('; ')}`),
    ).toEqual([]);
    expect(summarize(results, 1).harmfulActions).toBe(0);
  }, 600_000);
});
