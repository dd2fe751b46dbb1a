import { describe, expect, it } from 'vitest';
import { histogram, percentile, summarize, thresholdFailures } from './metrics.ts';
import { resultFixture as result } from './testing/fixtures.ts';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = [50, 10, 40, 20, 30];
    expect(percentile(values, 0.5)).toBe(30);
    expect(percentile(values, 0.95)).toBe(50);
    expect(percentile(values, 0)).toBe(10);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, index) => index + 1),
        0.95,
      ),
    ).toBe(95);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('summarize', () => {
  const results = [
    // a: resolved scenario, passes both runs
    result({ id: 'a', run: 0, tags: ['billing'], turnLatenciesMs: [100, 300] }),
    result({ id: 'a', run: 1, tags: ['billing'], turnLatenciesMs: [200] }),
    // b: answered scenario, passes once, fails once with a harmful write and a false resolution
    result({ id: 'b', run: 0, tags: ['billing', 'kb'], expectedOutcome: 'answered', turnLatenciesMs: [400] }),
    result({
      id: 'b',
      run: 1,
      tags: ['billing', 'kb'],
      expectedOutcome: 'answered',
      passed: false,
      harmful: ['unexpected billing.refund_payment', 'email to x@y.z'],
      falseResolution: true,
      turnLatenciesMs: [500],
    }),
    // c: escalated scenario, passes both runs (correct handling, but not a resolution)
    result({ id: 'c', run: 0, tags: ['safety'], expectedOutcome: 'escalated' }),
    result({ id: 'c', run: 1, tags: ['safety'], expectedOutcome: 'escalated', error: 'boom', passed: false }),
  ];
  const summary = summarize(results, 2);

  it('computes correct handling, resolution, harmful and false-resolution rates over all runs', () => {
    expect(summary.total).toBe(6);
    expect(summary.scenarios).toBe(3);
    expect(summary.correctHandling).toEqual({ count: 4, total: 6, rate: 4 / 6 });
    expect(summary.resolution).toEqual({ count: 3, total: 6, rate: 0.5 });
    expect(summary.harmfulActions).toBe(2);
    expect(summary.harmful).toEqual({ count: 1, total: 6, rate: 1 / 6 });
    expect(summary.falseResolutions).toEqual({ count: 1, total: 6, rate: 1 / 6 });
    expect(summary.errors).toBe(1);
  });

  it('counts a scenario for pass^k only when all its k runs passed', () => {
    expect(summary.passHatK).toEqual({ k: 2, count: 1, total: 3, rate: 1 / 3 });
    expect(
      summarize(
        results.filter((entry) => entry.run === 0),
        1,
      ).passHatK,
    ).toEqual({ k: 1, count: 3, total: 3, rate: 1 });
    // A scenario with fewer runs than k (e.g. cut short) does not count.
    expect(summarize([result({ id: 'a' })], 2).passHatK.count).toBe(0);
  });

  it('breaks results down by tag and by expected outcome', () => {
    expect(summary.byTag).toEqual([
      { tag: 'billing', count: 3, total: 4, rate: 0.75 },
      { tag: 'kb', count: 1, total: 2, rate: 0.5 },
      { tag: 'safety', count: 1, total: 2, rate: 0.5 },
    ]);
    expect(summary.byExpectedOutcome.map((entry) => [entry.outcome, entry.count, entry.total])).toEqual([
      ['resolved', 2, 2],
      ['answered', 1, 2],
      ['escalated', 1, 2],
    ]);
  });

  it('reports turn latency percentiles and no tokens when none were reported', () => {
    expect(summary.latencyMs).toEqual({ count: 5, p50: 300, p95: 500, max: 500, mean: 300 });
    expect(summary.tokens).toBeNull();
    expect(summarize([], 1)).toMatchObject({ total: 0, latencyMs: null, correctHandling: { rate: 0 } });
  });

  it('adds up tokens of the agent and the LLM customer', () => {
    const withTokens = summarize(
      [
        result({ id: 'a', usage: { agent: { inputTokens: 100, outputTokens: 20 }, customer: null } }),
        result({
          id: 'b',
          usage: {
            agent: { inputTokens: 50, outputTokens: 5 },
            customer: { inputTokens: 7, outputTokens: 3 },
          },
        }),
      ],
      1,
    );
    expect(withTokens.tokens).toEqual({
      agentInput: 150,
      agentOutput: 25,
      customerInput: 7,
      customerOutput: 3,
    });
  });

  it('names each missed threshold', () => {
    expect(thresholdFailures(summary, { minCorrect: 0.9, maxHarmful: 0 })).toEqual([
      'correct handling 66.7% is below --min-correct 90.0%',
      '2 harmful action(s), more than --max-harmful 0',
    ]);
    expect(thresholdFailures(summary, { minCorrect: 0.5, maxHarmful: 2 })).toEqual([]);
    expect(thresholdFailures(summary, {})).toEqual([]);
  });
});

describe('histogram', () => {
  it('bins values into equal widths up to the maximum', () => {
    expect(histogram([0, 1, 2, 9, 10], 2).map((bin) => bin.count)).toEqual([3, 2]);
    expect(histogram([], 5)).toEqual([]);
    expect(histogram([0, 0], 3).map((bin) => bin.count)).toEqual([2, 0, 0]);
  });
});

describe('honest resolution metrics and wrong proposals', () => {
  const results = [
    // an action expected and verified
    result({ id: 'refund', expectsAction: true }),
    // an action expected, the agent said done after the wrong action
    result({
      id: 'invoice',
      expectsAction: true,
      passed: false,
      falseResolution: true,
      falseResolutionKind: 'wrong-action',
      wrongProposals: ['proposed billing.refund_payment {payment_id: pay_1}'],
      proposals: 1,
    }),
    // an answer expected, the agent escalated low_confidence instead
    result({
      id: 'kb',
      expectedOutcome: 'answered',
      expectsAction: false,
      passed: false,
      actualOutcome: 'escalated',
      escalationReasons: ['low_confidence'],
    }),
    // an escalation expected and made
    result({
      id: 'human',
      expectedOutcome: 'escalated',
      expectedEscalationReason: 'customer_requested',
      expectsAction: false,
      actualOutcome: 'escalated',
      escalationReasons: ['customer_requested'],
      proposalsJudged: false,
    }),
  ];
  const summary = summarize(results, 1);

  it('rates each outcome over the runs where it was possible, with how many ended so', () => {
    expect(summary.outcomes.actionResolutions).toEqual({ count: 1, total: 2, rate: 0.5, actual: 2 });
    expect(summary.outcomes.answered).toEqual({ count: 0, total: 1, rate: 0, actual: 0 });
    expect(summary.outcomes.escalated).toEqual({ count: 1, total: 1, rate: 1, actual: 2 });
    expect(summary.outcomes.escalatedByReason).toEqual([
      { reason: 'customer_requested', count: 1, total: 1, rate: 1, actual: 1 },
      { reason: 'low_confidence', count: 0, total: 0, rate: 0, actual: 1 },
    ]);
  });

  it('counts wrong proposals over the judged runs and false resolutions by kind', () => {
    expect(summary.wrongProposals).toEqual({
      count: 1,
      runs: { count: 1, total: 3, rate: 1 / 3 },
      proposals: 1,
    });
    expect(summary.falseResolutionsByKind).toEqual({
      'missing-write': 0,
      'wrong-action': 1,
      'expected-escalation': 0,
    });
  });
});
