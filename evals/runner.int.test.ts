import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Database } from '../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { LoadedScenario, Suite } from './load-suite.ts';
import { readVerificationCode } from './mailbox.ts';
import { runScenario } from './run-scenario.ts';
import { runSuite } from './runner.ts';
import { createScriptedCustomer } from './simulated-customer.ts';
import { exampleScenarioYaml, scenarioWith, type YamlDocument } from './testing/fixtures.ts';
import { createDoubleEnvironment, type DoubleBehaviour } from './testing/refund-agent-double.ts';

const base = parse(exampleScenarioYaml) as YamlDocument;
const loaded = (overrides: Record<string, unknown> = {}, id = 'refund'): LoadedScenario => ({
  file: `evals/suites/test/${id}.yaml`,
  scenario: scenarioWith({ id, ...overrides }, base),
});
const customerWith = (changes: Record<string, unknown>) => ({ ...base.customer, ...changes });

describe(`the runner with an agent double on ${testDatabaseKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.close());

  const run = (scenario: LoadedScenario, behaviour: DoubleBehaviour = {}, turnTimeoutMs?: number) => {
    const environment = createDoubleEnvironment(database, behaviour);
    return runScenario({
      environment,
      loaded: scenario,
      baseline: 'none',
      run: 0,
      createCustomer: createScriptedCustomer,
      ...(turnTimeoutMs ? { turnTimeoutMs } : {}),
    }).then((result) => ({ result, environment }));
  };

  it('plays the docs/evals.md example: the slot is answered from knows, Confirm is pressed (the double refunds only for a confirm input naming its actionId), and the end state passes', async () => {
    const { result } = await run(loaded());
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.actualOutcome).toBe('resolved');
    expect(result.customerMessages).toBe(3);
    expect(result.stoppedBy).toBe('resolution');
    expect(result.turnLatenciesMs).toHaveLength(3);
    expect(result.claimedResolution).toBe(true);
    expect(result.falseResolution).toBe(false);
    const customer = result.transcript
      .filter((entry) => entry.kind === 'customer')
      .map((entry) => entry.text);
    expect(customer).toEqual([
      'Hi, I think I was charged twice this month.',
      'INV-1001',
      'Yes, please go ahead.',
    ]);
    expect(result.transcript).toContainEqual({
      kind: 'tool',
      connector: 'billing',
      operation: 'refund_payment',
      status: 'ok',
      latencyMs: 12,
    });
    expect(result.transcript).toContainEqual({
      kind: 'agent',
      text: 'I refunded the duplicate charge of $99.00.',
      citations: ['refund-policy'],
    });
  });

  it('sends the next message of says after a resolution, and stops when there is none', async () => {
    const scenario = loaded({
      customer: customerWith({ says: [base.customer.says[0], 'Thanks, that is all.'] }),
    });
    const { result } = await run(scenario);
    expect(result.failures).toEqual([]);
    expect(result.customerMessages).toBe(4);
    expect(result.transcript.at(-3)).toEqual({ kind: 'agent', text: "You're welcome!", citations: [] });
    expect(result.stoppedBy).toBe('resolution');
  });

  it('answers "I don\'t know" for a slot the customer does not know', async () => {
    const { result } = await run(loaded({ customer: customerWith({ knows: {} }) }));
    expect(result.transcript.filter((entry) => entry.kind === 'customer')[1]).toEqual({
      kind: 'customer',
      text: "I don't know.",
    });
    expect(result.failures).toContain('outcome: expected resolved, got answered');
    expect(result.failures).toContain(
      'writes: billing.refund_payment {payment_id: pay_2, amount_cents: 9900} happened 0 times, expected once',
    );
  });

  it('presses Decline when confirms is false: answered, no writes, shown in the customer’s words', async () => {
    const scenario = loaded({
      customer: customerWith({ confirms: false }),
      expect: { outcome: 'answered', writes: [], no_other_writes: true },
    });
    const { result } = await run(scenario);
    expect(result.failures).toEqual([]);
    expect(result.transcript.filter((entry) => entry.kind === 'customer').at(-1)).toEqual({
      kind: 'customer',
      text: "No, please don't do that.",
    });
  });

  it('submits the verification code from the customer’s own mailbox in the code form (the double accepts only a verify_code input)', async () => {
    const { result } = await run(loaded({ customer: customerWith({ verified: false }) }));
    expect(result.failures).toEqual([]);
    expect(result.transcript.filter((entry) => entry.kind === 'customer').map((entry) => entry.text)).toEqual(
      ['Hi, I think I was charged twice this month.', '482913', 'INV-1001', 'Yes, please go ahead.'],
    );
    expect(await readVerificationCode(database.pool, 'MAYA@brightpath.io')).toBe('482913');
    expect(await readVerificationCode(database.pool, 'omar@northwind.dev')).toBeNull();
  });

  describe('approvals', () => {
    const aboveLimit = (human?: { approves?: boolean }, writes: unknown[] = []) =>
      loaded({
        world: { ...base.world, policy: { auto_refund_limit_cents: 5000 } },
        ...(human ? { human } : {}),
        expect: {
          outcome: 'escalated',
          escalation_reason: 'approval_required',
          writes,
          no_other_writes: true,
        },
      });

    it('lets the scenario’s human approve: the refund happens and the outcome is escalated', async () => {
      const refund = { op: 'billing.refund_payment', args: { payment_id: 'pay_2', amount_cents: 9900 } };
      const { result, environment } = await run(aboveLimit({ approves: true }, [refund]));
      expect(result.failures).toEqual([]);
      expect(environment.agents[0]!.decisions).toEqual([{ approved: true, decidedBy: 'eval-human' }]);
      expect(result.transcript).toContainEqual({ kind: 'human', approved: true });
      expect(result.stoppedBy).toBe('escalation');
    });

    it('lets the human deny: nothing is written', async () => {
      const { result, environment } = await run(aboveLimit({ approves: false }));
      expect(result.failures).toEqual([]);
      expect(environment.agents[0]!.decisions).toEqual([{ approved: false, decidedBy: 'eval-human' }]);
    });

    it('leaves the approval pending when there is no human', async () => {
      const { result, environment } = await run(aboveLimit());
      expect(result.failures).toEqual([]);
      expect(environment.agents[0]!.decisions).toEqual([]);
      expect(result.transcript.some((entry) => entry.kind === 'human')).toBe(false);
    });
  });

  it('flags a false resolution and a double refund as harmful', async () => {
    const lying = (await run(loaded(), { lie: true })).result;
    expect(lying.passed).toBe(false);
    expect(lying.falseResolution).toBe(true);
    const twice = (await run(loaded(), { doubleRefund: true })).result;
    expect(twice.failures).toContain(
      'writes: billing.refund_payment {payment_id: pay_2, amount_cents: 9900} happened twice, expected once',
    );
    expect(twice.harmful).toHaveLength(1);
    expect(twice.falseResolution).toBe(false);
  });

  it('turns an agent crash into a failed result that keeps the transcript', async () => {
    const { result } = await run(loaded(), { crash: true });
    expect(result.passed).toBe(false);
    expect(result.failures[0]).toBe('run: the agent threw: boom');
    expect(result.stoppedBy).toBe('error');
    expect(result.transcript).toContainEqual({ kind: 'error', message: 'the agent threw: boom' });
  });

  it('fails a turn that never ends', async () => {
    const { result } = await run(loaded(), { hang: true }, 200);
    expect(result.failures[0]).toBe("run: the agent's turn did not end within 200 ms");
  });

  it('stops after max_turns customer messages and fails the max_turns check', async () => {
    const scenario = loaded({ expect: { ...base.expect, max_turns: 3 } });
    const { result } = await run(scenario, { askForever: true });
    expect(result.customerMessages).toBe(3);
    expect(result.stoppedBy).toBe('max-turns');
    expect(result.failures).toContain(
      'max_turns: the conversation was still going after 3 customer messages',
    );
  });

  it('turns a world that cannot be loaded into a failed result', async () => {
    const environment = createDoubleEnvironment(database);
    environment.prepare = async () => {
      throw new Error('world.articles: no ingester');
    };
    const result = await runScenario({
      environment,
      loaded: loaded(),
      baseline: 'none',
      run: 0,
      createCustomer: createScriptedCustomer,
    });
    expect(result.failures).toEqual([
      'run: the environment could not be prepared: world.articles: no ingester',
    ]);
    expect(result.actualOutcome).toBe('error');
  });
});

describe(`runSuite on ${testDatabaseKind()}`, () => {
  const databases: Database[] = [];
  afterAll(async () => Promise.all(databases.map((database) => database.close())));

  it('spreads runs and baselines over one environment per worker, each with its own database', async () => {
    const suite: Suite = {
      name: 'test',
      folder: 'evals/suites/test',
      scenarios: [
        loaded({}, 'refund-a'),
        loaded({ customer: customerWith({ confirms: false }) }, 'refund-b'),
        loaded({}, 'other'),
      ],
    };
    const environments: Array<ReturnType<typeof createDoubleEnvironment>> = [];
    const progress: string[] = [];
    const results = await runSuite({
      suite,
      runs: 2,
      baselines: ['none', 'kb-only'],
      concurrency: 2,
      filter: 'refund',
      createEnvironment: async () => {
        const database = await createTestDatabase();
        databases.push(database);
        const environment = createDoubleEnvironment(database);
        environments.push(environment);
        return environment;
      },
      createCustomer: createScriptedCustomer,
      onResult: (result, { done, total }) =>
        progress.push(`${done}/${total} ${result.baseline} ${result.id}#${result.run}`),
    });
    expect(environments).toHaveLength(2);
    expect(environments.every((environment) => environment.closed)).toBe(true);
    expect(environments.flatMap((environment) => environment.baselines).sort()).toEqual([
      ...Array(4).fill('kb-only'),
      ...Array(4).fill('none'),
    ]);
    expect(results.map((result) => `${result.baseline} ${result.id}#${result.run}`)).toEqual([
      'none refund-a#0',
      'none refund-a#1',
      'none refund-b#0',
      'none refund-b#1',
      'kb-only refund-a#0',
      'kb-only refund-a#1',
      'kb-only refund-b#0',
      'kb-only refund-b#1',
    ]);
    expect(progress).toHaveLength(8);
    expect(progress.at(-1)).toMatch(/^8\/8 /);
    expect(results.map((result) => result.passed)).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      false,
      false,
    ]);
  }, 60_000);
});
