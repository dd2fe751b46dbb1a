import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadEvalConfig } from '../config/eval.ts';
import type { Database } from '../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { EnvironmentOptions } from './environment.ts';
import type { EvalRunReport } from './report.ts';
import { runEvalCli } from './run-cli.ts';
import { exampleScenarioYaml } from './testing/fixtures.ts';
import { createDoubleEnvironment } from './testing/refund-agent-double.ts';

describe(`the eval CLI on ${testDatabaseKind()}`, () => {
  let systems: Database;
  let store: Database;
  let folder: string;
  let suite: string;
  const factoryCalls: EnvironmentOptions[] = [];
  const baselines: string[] = [];

  beforeAll(async () => {
    systems = await createTestDatabase();
    store = await createTestDatabase();
    folder = await mkdtemp(path.join(tmpdir(), 'eval-cli-'));
    suite = path.join(folder, 'suite');
    await import('node:fs/promises').then((fs) => fs.mkdir(suite));
    await writeFile(path.join(suite, 'refund.yaml'), exampleScenarioYaml);
    const declined = parse(exampleScenarioYaml);
    declined.id = 'refund-declined';
    declined.customer.confirms = false;
    // Deliberately wrong: declining leaves the conversation answered, so this scenario fails.
    await writeFile(path.join(suite, 'refund-declined.yaml'), stringify(declined));
  });
  afterAll(async () => {
    await Promise.all([systems?.close(), store?.close()]);
    await rm(folder, { recursive: true, force: true });
  });

  async function cli(argv: string[], config = loadEvalConfig({})) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runEvalCli(argv, {
      config,
      createEnvironment: async (options) => {
        factoryCalls.push(options);
        const environment = createDoubleEnvironment(systems);
        const prepare = environment.prepare;
        environment.prepare = async (scenario, prepareOptions) => {
          baselines.push(prepareOptions.baseline);
          return prepare(scenario, prepareOptions);
        };
        return environment;
      },
      stdout: { write: (text: string) => stdout.push(text) },
      stderr: { write: (text: string) => stderr.push(text) },
      openStore: async () => ({ ...store, close: async () => {} }),
    });
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  }

  it('runs the suite, writes results.json and report.html, records the run and passes without thresholds', async () => {
    const out = path.join(folder, 'out-1');
    const { code, stdout, stderr } = await cli(['--suite', suite, '--out', out]);
    expect(code).toBe(0);
    expect(stderr).toContain('Running 2 scenario(s) × 1 run(s)');
    expect(stderr).toMatch(/2\/2 {2}pass 1 {2}fail 1 {2}(PASS|FAIL) /);
    expect(stdout).toMatch(/Correct handling\s+1\/2 50\.0%/);
    expect(stdout).toContain('refund-declined\n    outcome: expected resolved, got answered');
    expect(stdout).toContain(`Report:  ${path.join(out, 'report.html')}`);
    expect(factoryCalls.at(-1)).toMatchObject({ reasoner: 'local', index: 0 });

    const report = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as EvalRunReport;
    expect(report.suite).toBe('suite');
    expect(report.results.map((result) => [result.id, result.passed])).toEqual([
      ['refund-declined', false],
      ['duplicate-charge-auto-refund', true],
    ]);
    expect(report.results[1]!.transcript.length).toBeGreaterThan(3);
    expect(await readFile(path.join(out, 'report.html'), 'utf8')).toContain('refund-declined');

    const { rows } = await store.pool.query(
      'SELECT suite, options, summary, results, finished_at FROM eval_runs WHERE id = $1',
      [report.id],
    );
    expect(rows[0].suite).toBe('suite');
    expect(rows[0].options).toMatchObject({ runs: 1, reasoner: 'local' });
    expect(rows[0].summary.agent.correctHandling).toEqual({ count: 1, total: 2, rate: 0.5 });
    expect(rows[0].results).toHaveLength(2);
    expect(rows[0].finished_at).toBeInstanceOf(Date);
  });

  it('exits 1 and says which threshold was missed', async () => {
    const { code, stdout } = await cli([
      '--suite',
      suite,
      '--out',
      path.join(folder, 'out-2'),
      '--min-correct',
      '0.9',
      '--max-harmful',
      '0',
      '--no-store',
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('THRESHOLD MISSED: correct handling 50.0% is below --min-correct 90.0%');
    expect(stdout).not.toContain('harmful action(s)');
  });

  it('runs the kb-only baseline side by side and repeats runs for pass^k', async () => {
    baselines.length = 0;
    const out = path.join(folder, 'out-3');
    const { code, stdout } = await cli([
      '--suite',
      suite,
      '--out',
      out,
      '--baseline',
      'kb-only',
      '--runs',
      '2',
      '--filter',
      'auto',
      '--no-store',
    ]);
    expect(code).toBe(0);
    expect(baselines).toEqual(['none', 'none', 'kb-only', 'kb-only']);
    expect(stdout).toContain('pass^2');
    const report = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as EvalRunReport;
    expect(report.summary.passHatK).toEqual({ k: 2, count: 1, total: 1, rate: 1 });
    expect(report.baselineSummary?.total).toBe(2);
  });

  it('exits 2 on a bad suite, naming the file and field, before running anything', async () => {
    const bad = path.join(folder, 'bad');
    await import('node:fs/promises').then((fs) => fs.mkdir(bad));
    await writeFile(
      path.join(bad, 'refund-1.yaml'),
      exampleScenarioYaml.replace('op: billing.refund_payment', 'op: billing.refund'),
    );
    const calls = factoryCalls.length;
    const { code, stderr } = await cli(['--suite', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `${path.join(bad, 'refund-1.yaml')}: expect.writes[0].op: unknown operation "billing.refund"`,
    );
    expect(factoryCalls.length).toBe(calls);
  });

  it('exits 2 on bad arguments, an empty filter match, or an LLM without a model', async () => {
    expect((await cli(['--suite', suite, '--runs', '0'])).stderr).toContain('--runs must be at least 1');
    const filtered = await cli(['--suite', suite, '--filter', 'nothing-like-this']);
    expect(filtered.code).toBe(2);
    expect(filtered.stderr).toContain('--filter "nothing-like-this" matches no scenario id');
    const llm = await cli(['--suite', suite, '--reasoner', 'llm']);
    expect(llm.code).toBe(2);
    expect(llm.stderr).toContain('need OPENAI_MODEL');
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run eval');
  });
});
