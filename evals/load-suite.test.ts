import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadSuite, SuiteLoadError } from './load-suite.ts';
import { exampleScenarioYaml, type YamlDocument } from './testing/fixtures.ts';

const example = () => parse(exampleScenarioYaml) as YamlDocument;

describe('loadSuite', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'suite-'));
  });
  afterEach(async () => rm(folder, { recursive: true, force: true }));

  const write = (name: string, content: string | object) =>
    writeFile(path.join(folder, name), typeof content === 'string' ? content : stringify(content));

  async function loadError(): Promise<SuiteLoadError> {
    const error = await loadSuite(folder).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SuiteLoadError);
    return error as SuiteLoadError;
  }

  it('loads the docs/evals.md example with its defaults applied, sorted by file name', async () => {
    await write('b.yaml', exampleScenarioYaml);
    const second = example();
    second.id = 'another';
    delete second.customer.channel;
    delete second.customer.confirms;
    delete second.customer.knows;
    await write('a.yml', second);
    await write('notes.txt', 'not a scenario');
    const suite = await loadSuite(folder);
    expect(suite.name).toBe(path.basename(folder));
    expect(suite.scenarios.map(({ scenario }) => scenario.id)).toEqual([
      'another',
      'duplicate-charge-auto-refund',
    ]);
    const defaults = suite.scenarios[0]!.scenario.customer;
    expect(defaults).toMatchObject({ channel: 'chat', confirms: true, knows: {} });
    const loaded = suite.scenarios[1]!.scenario;
    expect(loaded.now).toBe('2026-11-20T09:00:00Z');
    expect(loaded.world.payments).toHaveLength(2);
    expect(loaded.world.contacts[0]!.timezone).toBe('Europe/Berlin');
    expect(loaded.expect.writes).toEqual([
      { op: 'billing.refund_payment', args: { payment_id: 'pay_2', amount_cents: 9900 } },
    ]);
  });

  it('names the file and the line of invalid YAML', async () => {
    await write('broken.yaml', 'id: x\ntitle: [unclosed\n');
    const error = await loadError();
    expect(error.message).toMatch(
      new RegExp(`${escapeRegExp(path.join(folder, 'broken.yaml'))}: \\(yaml\\): invalid YAML at line \\d+`),
    );
  });

  it('rejects a duplicated YAML key', async () => {
    await write('twice.yaml', `${exampleScenarioYaml}\ntitle: again\n`);
    expect((await loadError()).message).toContain('twice.yaml: (yaml): invalid YAML');
  });

  it.each([
    ['the root', (s: YamlDocument) => (s.expected = {}), '(root): unknown key(s) "expected"'],
    ['customer', (s: YamlDocument) => (s.customer.confirm = true), 'customer: unknown key(s) "confirm"'],
    [
      'a world entity',
      (s: YamlDocument) => (s.world.accounts[0].teir = 'pro'),
      'world.accounts[0]: unknown key(s) "teir"',
    ],
    [
      'an expected write',
      (s: YamlDocument) => (s.expect.writes[0].arg = {}),
      'expect.writes[0]: unknown key(s) "arg"',
    ],
    [
      'an expected email',
      (s: YamlDocument) => (s.expect.emails[0].subject = 'x'),
      'expect.emails[0]: unknown key(s) "subject"',
    ],
    [
      'a fault',
      (s: YamlDocument) =>
        (s.faults = [{ connector: 'billing', operation: '*', mode: 'error', times: 1, count: 2 }]),
      'faults[0]: unknown key(s) "count"',
    ],
    ['human', (s: YamlDocument) => (s.human = { approve: true }), 'human: unknown key(s) "approve"'],
    [
      'knows (an unknown slot)',
      (s: YamlDocument) => (s.customer.knows.order_id = 'x'),
      'customer.knows: unknown key(s) "order_id"',
    ],
  ])('rejects an unknown key in %s and names the field', async (_where, mutate, expected) => {
    const scenario = example();
    mutate(scenario);
    await write('bad.yaml', scenario);
    expect((await loadError()).message).toContain(`bad.yaml: ${expected}`);
  });

  it('rejects a customer who is not in the world', async () => {
    const scenario = example();
    scenario.customer.contact = 'ct_9';
    await write('dangling.yaml', scenario);
    expect((await loadError()).message).toContain(
      'dangling.yaml: customer.contact: "ct_9" does not match any world.contacts id',
    );
  });

  it('rejects a dangling reference inside the world with the world loader’s message', async () => {
    const scenario = example();
    scenario.world.payments[0].invoice = 'INV-404';
    await write('world.yaml', scenario);
    expect((await loadError()).message).toContain(
      'world.yaml: world.payments[0].invoice: "INV-404" does not match',
    );
  });

  it('rejects an operation that is not canonical, naming the file and the field', async () => {
    const scenario = example();
    scenario.expect.writes[0].op = 'billing.refund';
    await write('refund-1.yaml', scenario);
    expect((await loadError()).message).toContain(
      `${path.join(folder, 'refund-1.yaml')}: expect.writes[0].op: unknown operation "billing.refund"`,
    );
  });

  it('rejects an argument that cannot be matched, a wrong argument type and a dangling id', async () => {
    const scenario = example();
    scenario.expect.writes = [
      { op: 'billing.refund_payment', args: { payment_id: 'pay_2', invoice_id: 'INV-1001' } },
      { op: 'billing.change_plan', args: { subscription_id: 'sub_1', plan: 'platinum' } },
      { op: 'calendar.cancel', args: { booking_id: 'bk_404' } },
    ];
    await write('args.yaml', scenario);
    const problems = (await loadError()).problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(problems[0]).toBe(
      'expect.writes[0].args: "invoice_id" cannot be matched for billing.refund_payment',
    );
    expect(problems[1]).toMatch(/^expect\.writes\[1\]\.args\.plan: /);
    expect(problems).toHaveLength(2);

    scenario.expect.writes = [{ op: 'calendar.cancel', args: { booking_id: 'bk_404' } }];
    await write('args.yaml', scenario);
    expect((await loadError()).message).toContain(
      'expect.writes[0].args.booking_id: "bk_404" does not match any world.bookings id',
    );
  });

  it('rejects inconsistent expectations and faults', async () => {
    const scenario = example();
    scenario.expect.escalation_reason = 'approval_required';
    scenario.faults = [{ connector: 'billing', operation: 'get_invoice', mode: 'slow', times: 1 }];
    await write('inconsistent.yaml', scenario);
    expect((await loadError()).message).toContain('faults[0].delay_ms: is required when mode is slow');

    delete scenario.faults;
    await write('inconsistent.yaml', scenario);
    expect((await loadError()).message).toContain(
      'expect.escalation_reason: is "approval_required" but the outcome is "resolved"',
    );

    scenario.expect.escalation_reason = 'because';
    await write('inconsistent.yaml', scenario);
    expect((await loadError()).message).toContain('inconsistent.yaml: expect.escalation_reason:');
  });

  it('requires the keys docs/evals.md does not list as optional', async () => {
    const scenario = example();
    delete scenario.title;
    delete scenario.expect.outcome;
    delete scenario.customer.says;
    await write('missing.yaml', scenario);
    const paths = (await loadError()).problems.map((problem) => problem.path);
    expect(paths).toEqual(expect.arrayContaining(['title', 'expect.outcome', 'customer.says']));
  });

  it('fails the whole suite when one file is bad, and reports every bad file', async () => {
    await write('good.yaml', exampleScenarioYaml);
    await write('bad-1.yaml', 'id: [');
    const bad = example();
    bad.id = 'bad-2';
    bad.expect.outcome = 'done';
    await write('bad-2.yaml', bad);
    const error = await loadError();
    expect(error.problems.map((problem) => path.basename(problem.file))).toEqual([
      'bad-1.yaml',
      'bad-2.yaml',
    ]);
    expect(error.message).toContain('bad-2.yaml: expect.outcome:');
  });

  it('rejects duplicate ids in a suite', async () => {
    await write('one.yaml', exampleScenarioYaml);
    await write('two.yaml', exampleScenarioYaml);
    expect((await loadError()).message).toContain(
      `two.yaml: id: duplicate id "duplicate-charge-auto-refund" (also in ${path.join(folder, 'one.yaml')})`,
    );
  });

  it('reads subfolders (a split suite runs whole from its root), skipping dot-folders', async () => {
    await mkdir(path.join(folder, 'dev'));
    await mkdir(path.join(folder, 'frozen'));
    await mkdir(path.join(folder, '.cache'));
    await write('dev/b.yaml', exampleScenarioYaml);
    const frozen = example();
    frozen.id = 'frozen-one';
    await write('frozen/a.yaml', frozen);
    await write('.cache/ignored.yaml', 'id: [');
    const suite = await loadSuite(folder);
    expect(suite.scenarios.map(({ scenario }) => scenario.id)).toEqual([
      'duplicate-charge-auto-refund',
      'frozen-one',
    ]);
    expect(suite.scenarios[1]!.file).toMatch(/frozen[/\\]a\.yaml$/);
    // One part alone still loads as its own suite.
    expect((await loadSuite(path.join(folder, 'frozen'))).scenarios).toHaveLength(1);
    // Ids stay unique across subfolders.
    await write('frozen/c.yaml', exampleScenarioYaml);
    expect((await loadError()).message).toContain('duplicate id "duplicate-charge-auto-refund"');
  });

  it('takes email templates and key values, facts and proposals, and rejects broken ones', async () => {
    const scenario = example();
    scenario.expect.emails = [
      { to: 'maya@brightpath.io', template: 'refund_issued', body_includes: ['INV-1001', '$99.00'] },
    ];
    scenario.expect.reply_contains_fact = ['5-10 business days', '/\\b30\\s*days\\b/'];
    scenario.expect.proposals = [{ op: 'billing.refund_payment', args: { payment_id: 'pay_1' } }];
    await write('extended.yaml', scenario);
    const loaded = (await loadSuite(folder)).scenarios[0]!.scenario;
    expect(loaded.expect.emails?.[0]?.template).toBe('refund_issued');
    expect(loaded.expect.reply_contains_fact).toHaveLength(2);

    scenario.expect.emails = [{ to: 'maya@brightpath.io', template: 'Refund Issued' }];
    scenario.expect.reply_contains_fact = ['/[unclosed/', 'charged twice'];
    await write('extended.yaml', scenario);
    const message = (await loadError()).message;
    expect(message).toContain('expect.emails[0].template: must be a template name');
    expect(message).toContain('expect.reply_contains_fact[0]: is not a valid /regex/');

    // References are checked once the structure holds.
    scenario.expect.emails = [];
    scenario.expect.reply_contains_fact = ['5-10 business days'];
    scenario.expect.proposals = [{ op: 'billing.refund_payment', args: { payment_id: 'pay_404' } }];
    await write('extended.yaml', scenario);
    expect((await loadError()).message).toContain(
      'expect.proposals[0].args.payment_id: "pay_404" does not match any world.payments id',
    );
  });

  it('rejects a fact the customer already wrote (an echo would pass it)', async () => {
    const scenario = example();
    scenario.expect.reply_contains_fact = ['charged twice'];
    await write('echo.yaml', scenario);
    expect((await loadError()).message).toContain(
      `expect.reply_contains_fact[0]: "charged twice" is in the customer's own messages`,
    );
  });

  it('rejects a missing folder and an empty one', async () => {
    expect((await loadError()).message).toContain('has no .yaml scenario files');
    await expect(loadSuite(path.join(folder, 'nope'))).rejects.toThrow(/nope: \(suite\): is not a folder/);
  });
});

describe('the shipped suites', () => {
  it.each(['core', 'smoke', 'generalization'])('loads evals/suites/%s', async (name) => {
    const suite = await loadSuite(path.join(import.meta.dirname, 'suites', name));
    expect(suite.scenarios.length).toBeGreaterThanOrEqual(name === 'smoke' ? 6 : 80);
    for (const { file } of suite.scenarios) expect(file).toMatch(new RegExp(`^evals/suites/${name}/`));
  });

  it('keeps the smoke suite a subset of the core suite', async () => {
    const core = await loadSuite(path.join(import.meta.dirname, 'suites', 'core'));
    const smoke = await loadSuite(path.join(import.meta.dirname, 'suites', 'smoke'));
    const coreById = new Map(core.scenarios.map(({ scenario }) => [scenario.id, scenario]));
    for (const { scenario } of smoke.scenarios) expect(coreById.get(scenario.id)).toEqual(scenario);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
